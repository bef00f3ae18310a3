/// A `jsonb` (or `json`) value carried as its raw JSON text.
///
/// The Postgres layer does not choose a JSON model for its callers; they encode and decode with
/// whatever they like, and the server validates the text on insert.
public struct JSONText: Sendable, Hashable {
    /// The JSON document as text.
    public var raw: String

    /// Wraps already-serialised JSON text.
    public init(_ raw: String) {
        self.raw = raw
    }
}

extension JSONText: PostgresEncodable, PostgresDecodable {
    /// The raw text; the server parses it as `jsonb`.
    public var postgresText: String? { raw }

    /// The server's JSON text (for `jsonb`, normalised: keys sorted, whitespace canonical); throws on `NULL`.
    public static func decode(postgresText: String?) throws -> JSONText {
        guard let postgresText else { throw PostgresError.decoding("unexpected NULL for non-optional JSONText") }
        return JSONText(postgresText)
    }
}
