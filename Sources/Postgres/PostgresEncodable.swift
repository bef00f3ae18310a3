import Foundation

/// A Swift value that can be sent to PostgreSQL as a text-format query parameter.
///
/// Values travel separately from the SQL text (`PQexecParams`), so no value is ever pasted
/// into a statement; `nil` means SQL `NULL`.
public protocol PostgresEncodable {
    /// The PostgreSQL text representation of the value, or `nil` for `NULL`.
    var postgresText: String? { get }
}

extension String: PostgresEncodable {
    /// The string itself: text parameters need no quoting because they never enter the SQL text.
    public var postgresText: String? { self }
}

extension Int: PostgresEncodable {
    /// Decimal digits, accepted by `integer`, `bigint` and `numeric` columns.
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    /// Decimal digits, accepted by `integer`, `bigint` and `numeric` columns.
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    /// Decimal digits, accepted by `bigint` and `numeric` columns.
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    /// `true` / `false`, the spellings PostgreSQL's `boolin` accepts.
    public var postgresText: String? { self ? "true" : "false" }
}

extension Double: PostgresEncodable {
    /// The shortest text that round-trips; infinities and NaN use PostgreSQL's spellings.
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self)
    }
}

extension Date: PostgresEncodable {
    /// ISO-8601 in UTC with microseconds (`2024-05-01T09:30:00.000000Z`), the full precision of `timestamptz`.
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

extension UUID: PostgresEncodable {
    /// The canonical hyphenated form, accepted by the `uuid` type.
    public var postgresText: String? { uuidString.lowercased() }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// `nil` becomes SQL `NULL`; a present value is encoded as itself.
    public var postgresText: String? { flatMap { $0.postgresText } }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// `bytea` in hex format (`\x0aff…`), unambiguous whatever `standard_conforming_strings` says.
    public var postgresText: String? {
        let digits = Array<UInt8>("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 + count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
