import Foundation
@testable import Scheduling

let berlin = TimeZone(identifier: "Europe/Berlin")!
let tokyo = TimeZone(identifier: "Asia/Tokyo")!
let newYork = TimeZone(identifier: "America/New_York")!

/// An instant given as UTC parts.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    let days = LocalDate(year: year, month: month, day: day).daysSinceEpoch
    return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
}

/// A date from its parts.
func date(_ year: Int, _ month: Int, _ day: Int) -> LocalDate { LocalDate(year: year, month: month, day: day) }

/// A time from "HH:MM".
func time(_ hhmm: String) -> LocalTime { LocalTime(hhmm: hhmm)! }

extension WeeklyPattern {
    /// A pattern with defaults: Monday 09:00–12:00, 30-minute single slots, valid from 2026-01-01.
    static func make(weekday: Weekday = .monday, start: String = "09:00", end: String = "12:00", slotMinutes: Int = 30,
                     capacity: Int = 1, validFrom: LocalDate = date(2026, 1, 1), validTo: LocalDate? = nil) -> WeeklyPattern {
        WeeklyPattern(weekday: weekday, start: time(start), end: time(end), slotMinutes: slotMinutes,
                      capacity: capacity, validFrom: validFrom, validTo: validTo)
    }
}

extension TimeRange {
    /// A range from `minutes` after `base` lasting `length` minutes.
    static func make(_ base: Date, from minutes: Int, length: Int = 30) -> TimeRange {
        TimeRange(start: base.addingTimeInterval(TimeInterval(minutes * 60)),
                  end: base.addingTimeInterval(TimeInterval((minutes + length) * 60)))
    }
}

/// A Gregorian calendar in `zone`, the reference the hand-written arithmetic is checked against.
func gregorian(_ zone: TimeZone) -> Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    return calendar
}
