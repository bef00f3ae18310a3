import Foundation

/// A wall-clock time of day to the minute, without a date or zone ("09:00" in the clinic).
public struct LocalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Hour, 0…23.
    public var hour: Int
    /// Minute, 0…59.
    public var minute: Int

    /// Creates a time, or nil outside 00:00…23:59.
    public init?(hour: Int, minute: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.hour = hour
        self.minute = minute
    }

    /// Creates the time `minutes` after midnight, or nil outside 0…1439.
    public init?(minutesSinceMidnight minutes: Int) {
        guard (0..<1440).contains(minutes) else { return nil }
        self.init(hour: minutes / 60, minute: minutes % 60)
    }

    /// Parses exactly `HH:MM` (24-hour, two digits each, as an HTML `<input type="time">` sends), or nil.
    public init?(hhmm text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"),
              let hour = Self.twoDigits(bytes[0], bytes[1]), let minute = Self.twoDigits(bytes[3], bytes[4])
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    /// Parses PostgreSQL's `time` output, `HH:MM` or `HH:MM:SS` with zero seconds, or nil.
    ///
    /// Patterns are stored as `time`; seconds other than 00 never come from the portal, so they are refused.
    public init?(sqlTime text: String) {
        if text.utf8.count == 8, text.hasSuffix(":00") {
            self.init(hhmm: String(text.prefix(5)))
        } else {
            self.init(hhmm: text)
        }
    }

    /// The time as `HH:MM`.
    public var hhmm: String {
        (hour < 10 ? "0" : "") + String(hour) + ":" + (minute < 10 ? "0" : "") + String(minute)
    }

    /// The `HH:MM` form.
    public var description: String { hhmm }

    /// Minutes since midnight, 0…1439.
    public var minutesSinceMidnight: Int { hour * 60 + minute }

    /// The time a wall clock in `zone` shows at `instant`, seconds dropped.
    public static func of(_ instant: Date, in zone: TimeZone) -> LocalTime {
        let wall = wallSeconds(of: instant, in: zone)
        let secondsIntoDay = wall - floorDivide(wall, 86_400) * 86_400
        return LocalTime(minutesSinceMidnight: secondsIntoDay / 60)!
    }

    /// Orders times within a day.
    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        lhs.minutesSinceMidnight < rhs.minutesSinceMidnight
    }

    private static func twoDigits(_ tens: UInt8, _ ones: UInt8) -> Int? {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        guard (zero...nine).contains(tens), (zero...nine).contains(ones) else { return nil }
        return Int(tens - zero) * 10 + Int(ones - zero)
    }
}
