import Foundation

/// A Swift value that can be read from a text-format PostgreSQL result column.
///
/// Connections fix `TimeZone=UTC`, `DateStyle=ISO` and `bytea_output=hex`, so the text
/// forms parsed here are the only ones the server sends.
public protocol PostgresDecodable {
    /// Builds the value from the column's text, where `nil` is SQL `NULL`.
    ///
    /// Throws `PostgresError.decoding` when the text is `NULL` for a non-optional type or is malformed.
    static func decode(postgresText: String?) throws -> Self
}

/// Returns the text or throws because a non-optional type met SQL `NULL`.
@inline(__always)
private func required<T>(_ text: String?, _ type: T.Type) throws -> String {
    guard let text else {
        throw PostgresError.decoding("unexpected NULL for non-optional \(T.self)")
    }
    return text
}

/// The error for text that does not parse as the requested type.
private func malformed<T>(_ text: String, _ type: T.Type) -> PostgresError {
    PostgresError.decoding("cannot decode \(T.self) from \"\(text.prefix(64))\"")
}

extension String: PostgresDecodable {
    /// The column text as is.
    public static func decode(postgresText: String?) throws -> String {
        try required(postgresText, String.self)
    }
}

extension Int: PostgresDecodable {
    /// Parses `smallint`, `integer` or `bigint` text.
    public static func decode(postgresText: String?) throws -> Int {
        let text = try required(postgresText, Int.self)
        guard let value = Int(text) else { throw malformed(text, Int.self) }
        return value
    }
}

extension Int32: PostgresDecodable {
    /// Parses `smallint` or `integer` text; a larger value is a decoding error, not a silent truncation.
    public static func decode(postgresText: String?) throws -> Int32 {
        let text = try required(postgresText, Int32.self)
        guard let value = Int32(text) else { throw malformed(text, Int32.self) }
        return value
    }
}

extension Int64: PostgresDecodable {
    /// Parses `bigint` text.
    public static func decode(postgresText: String?) throws -> Int64 {
        let text = try required(postgresText, Int64.self)
        guard let value = Int64(text) else { throw malformed(text, Int64.self) }
        return value
    }
}

extension Bool: PostgresDecodable {
    /// Parses `t` / `f`, the server's text output for `boolean`.
    public static func decode(postgresText: String?) throws -> Bool {
        let text = try required(postgresText, Bool.self)
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw malformed(text, Bool.self)
        }
    }
}

extension Double: PostgresDecodable {
    /// Parses `double precision`, `real` or `numeric` text including `Infinity` and `NaN`.
    public static func decode(postgresText: String?) throws -> Double {
        let text = try required(postgresText, Double.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw malformed(text, Double.self) }
            return value
        }
    }
}

extension Date: PostgresDecodable {
    /// Parses `timestamptz` ISO output (`2024-05-01 09:30:00.123456+00`) with microsecond precision.
    public static func decode(postgresText: String?) throws -> Date {
        let text = try required(postgresText, Date.self)
        guard let date = PostgresTimestamp.parse(text) else { throw malformed(text, Date.self) }
        return date
    }
}

extension UUID: PostgresDecodable {
    /// Parses the `uuid` type's hyphenated output.
    public static func decode(postgresText: String?) throws -> UUID {
        let text = try required(postgresText, UUID.self)
        guard let value = UUID(uuidString: text) else { throw malformed(text, UUID.self) }
        return value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// SQL `NULL` becomes `nil`; anything else is decoded as `Wrapped`.
    public static func decode(postgresText: String?) throws -> Wrapped? {
        guard let postgresText else { return nil }
        return try Wrapped.decode(postgresText: postgresText)
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Parses `bytea` hex output (`\x…`).
    public static func decode(postgresText: String?) throws -> [UInt8] {
        let text = try required(postgresText, [UInt8].self)
        let utf8 = Array<UInt8>(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw malformed(text, [UInt8].self)
        }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { throw malformed(text, [UInt8].self) }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}
