/// A calendar date as stored in an SQL `date` column, without time or zone.
///
/// `Foundation.Date` is an instant; a birth date or a clinic's local day is not, so it gets its own type.
public struct PostgresDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year (1 or later; BC dates are not supported).
    public var year: Int
    /// The month, 1–12.
    public var month: Int
    /// The day of the month, 1–31.
    public var day: Int

    /// Creates a date from its parts; the server validates the combination when it is sent.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`, the ISO form used by the server and by HTML date inputs; `nil` when malformed or impossible.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count >= 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              year >= 1, (1...12).contains(month),
              (1...PostgresTimestamp.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        "\(PostgresTimestamp.pad(year, 4))-\(PostgresTimestamp.pad(month, 2))-\(PostgresTimestamp.pad(day, 2))"
    }

    /// Chronological order.
    public static func < (lhs: PostgresDate, rhs: PostgresDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

extension PostgresDate: PostgresEncodable, PostgresDecodable {
    /// `YYYY-MM-DD`, unambiguous whatever the session's `DateStyle`.
    public var postgresText: String? { description }

    /// Parses the ISO `date` output; throws `PostgresError.decoding` on `NULL` or other text.
    public static func decode(postgresText: String?) throws -> PostgresDate {
        guard let postgresText else { throw PostgresError.decoding("unexpected NULL for non-optional PostgresDate") }
        guard let date = PostgresDate(postgresText) else {
            throw PostgresError.decoding("cannot decode PostgresDate from \"\(postgresText.prefix(64))\"")
        }
        return date
    }
}
