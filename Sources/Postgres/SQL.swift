/// A parameterised SQL statement built by string interpolation.
///
/// `"SELECT * FROM users WHERE email = \(email)"` becomes the text `… = $1` with `email` bound
/// as parameter 1, so values never enter the SQL text (STYLE.md, SQL). Fixed fragments that
/// cannot be parameters (identifiers, `ORDER BY` choices) must be spelled `unsafeRaw`.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// One piece of the statement: literal SQL text, or a reference to a bind by index.
    enum Part: Sendable {
        case text(String)
        case bind(Int)
    }

    /// The pieces in order; placeholders are numbered only when `text` is rendered, which is
    /// what lets `+` renumber without scanning SQL for `$n` (that could appear inside literals).
    var parts: [Part]

    /// The parameter values in placeholder order, as text; `nil` is SQL `NULL`.
    public private(set) var binds: [String?]

    /// The statement text with `$1, $2…` placeholders.
    public var text: String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .bind(let index): out += "$\(index + 1)"
            }
        }
        return out
    }

    /// The statement text only: binds may hold personal data and are never logged.
    public var description: String { text }

    /// Assembles a statement from already-numbered parts.
    init(parts: [Part], binds: [String?]) {
        self.parts = parts
        self.binds = binds
    }

    /// A statement without parameters; a literal is source code, so it is trusted text.
    public init(stringLiteral value: String) {
        self.init(parts: [.text(value)], binds: [])
    }

    /// A statement assembled by interpolation.
    public init(stringInterpolation: StringInterpolation) {
        self.init(parts: stringInterpolation.parts, binds: stringInterpolation.binds)
    }

    /// Verbatim SQL text, for fixed fragments chosen by code (never user input): the name says it is unsafe.
    public static func unsafeRaw(_ text: String) -> SQL {
        SQL(parts: [.text(text)], binds: [])
    }

    /// Concatenates two statements; the right-hand side's placeholders are renumbered after the left's.
    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        let offset = lhs.binds.count
        let shifted = rhs.parts.map { part -> Part in
            if case .bind(let index) = part { return .bind(index + offset) }
            return part
        }
        return SQL(parts: lhs.parts + shifted, binds: lhs.binds + rhs.binds)
    }

    /// Appends `rhs` to `lhs`, renumbering its placeholders.
    public static func += (lhs: inout SQL, rhs: SQL) {
        lhs = lhs + rhs
    }

    /// Collects literal text and bound values while a string interpolation is evaluated.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        var binds: [String?] = []

        /// Reserves room for the literal text and the interpolations.
        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
            binds.reserveCapacity(interpolationCount)
        }

        /// Appends source-code SQL text.
        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { parts.append(.text(literal)) }
        }

        /// Binds a value as the next `$n` parameter.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            parts.append(.bind(binds.count))
            binds.append(value.postgresText)
        }

        /// Binds an optional value as the next `$n` parameter, `nil` as `NULL`.
        ///
        /// Spelled out so the compiler does not warn that an optional is being interpolated.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            parts.append(.bind(binds.count))
            binds.append(value.flatMap { $0.postgresText })
        }

        /// Pastes fixed SQL text verbatim; only for fragments chosen by code, never for values.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            parts.append(.text(text))
        }

        /// Embeds another statement (for example a built `WHERE` clause), renumbering its parameters.
        public mutating func appendInterpolation(fragment: SQL) {
            let offset = binds.count
            for part in fragment.parts {
                if case .bind(let index) = part { parts.append(.bind(index + offset)) } else { parts.append(part) }
            }
            binds += fragment.binds
        }
    }
}
