import Foundation

/// A calendar date without a time or zone (proleptic Gregorian), as a clinic's staff reads it.
///
/// Dates are kept as plain numbers and converted with exact civil-calendar arithmetic
/// (Howard Hinnant's `days_from_civil`), so adding days or finding a weekday never
/// passes through an instant and cannot be shifted by a daylight-saving change.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Year, 1…9999.
    public var year: Int
    /// Month, 1…12.
    public var month: Int
    /// Day of the month, 1…28/29/30/31.
    public var day: Int

    /// Creates a date from its parts; they must name a real date (see `isValid`).
    ///
    /// Traps on an impossible date, which is a programming error: untrusted input goes
    /// through `init?(iso:)` or `init?(validatingYear:month:day:)`.
    public init(year: Int, month: Int, day: Int) {
        precondition(Self.isValid(year: year, month: month, day: day), "invalid date \(year)-\(month)-\(day)")
        self.year = year
        self.month = month
        self.day = day
    }

    /// Creates a date from its parts, or nil when they do not name a real date (2026-02-30).
    public init?(validatingYear year: Int, month: Int, day: Int) {
        guard Self.isValid(year: year, month: month, day: day) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Parses exactly `YYYY-MM-DD` (ISO 8601 extended calendar date), or nil.
    ///
    /// Strict: four-digit year, two-digit month and day, ASCII digits only, and the
    /// date must exist, so "2026-1-1", "2026-02-30" and "2026-01-01T00:00" are refused.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = Self.digits(bytes[0..<4]), let month = Self.digits(bytes[5..<7]),
              let day = Self.digits(bytes[8..<10])
        else { return nil }
        self.init(validatingYear: year, month: month, day: day)
    }

    /// Whether the parts name a real date between 0001-01-01 and 9999-12-31.
    public static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        return day <= daysIn(month: month, year: year)
    }

    /// Number of days in `month` of `year` (Gregorian leap years).
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The date as `YYYY-MM-DD`.
    public var iso: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The ISO form, so dates interpolate into logs and URLs as `YYYY-MM-DD`.
    public var description: String { iso }

    /// The date `days` later (or earlier when negative).
    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(until other: LocalDate) -> Int {
        other.daysSinceEpoch - daysSinceEpoch
    }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (ISO 4).
        let index = ((daysSinceEpoch + 3) % 7 + 7) % 7
        return Weekday(rawValue: index + 1)!
    }

    /// The Monday on or before this date: the first day of its ISO week.
    public func startOfWeek() -> LocalDate {
        adding(days: -(weekday.rawValue - 1))
    }

    /// The date a wall clock in `zone` shows at `instant`.
    public static func of(_ instant: Date, in zone: TimeZone) -> LocalDate {
        let local = wallSeconds(of: instant, in: zone)
        return LocalDate(daysSinceEpoch: floorDivide(local, 86_400))
    }

    /// Orders dates chronologically.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    // MARK: - Civil arithmetic

    /// Days since 1970-01-01 (negative before).
    var daysSinceEpoch: Int {
        // Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Hinnant's civil_from_days).
    init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Parses a run of ASCII digits.
    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// Division rounding towards negative infinity, for dates and times before the epoch.
func floorDivide(_ a: Int, _ b: Int) -> Int {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}

/// Seconds since 1970-01-01T00:00 as the wall clock in `zone` reads at `instant`, whole seconds.
func wallSeconds(of instant: Date, in zone: TimeZone) -> Int {
    Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
}
