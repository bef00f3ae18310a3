import Foundation
import Scheduling

/// Formats instants for people, always in the clinic's time zone (never the server's).
///
/// Written out from the wall-clock date and time (`Scheduling`'s `LocalDate`/`LocalTime`, exact across
/// daylight-saving changes) with English names, the output `DateFormatter` gives for `en_GB`. A list page
/// formats a time per row; Foundation's formatters are not thread-safe, so they had to sit behind one
/// process-wide lock, and each call went through ICU.
public enum TimeFormatting {
    private static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    /// "Mon 15 Jun 2026, 09:20".
    public static func dateTime(_ date: Date, in zone: TimeZone) -> String {
        let day = LocalDate.of(date, in: zone)
        return shortDay(day) + " " + String(day.year) + ", " + LocalTime.of(date, in: zone).hhmm
    }

    /// "Monday 15 June 2026".
    public static func longDate(_ date: Date, in zone: TimeZone) -> String {
        let day = LocalDate.of(date, in: zone)
        return weekdayNames[day.weekday.rawValue - 1] + " " + String(day.day) + " " + monthNames[day.month - 1] + " " + String(day.year)
    }

    /// "Mon 15 Jun".
    public static func shortDate(_ date: Date, in zone: TimeZone) -> String {
        shortDay(LocalDate.of(date, in: zone))
    }

    /// "09:20".
    public static func time(_ date: Date, in zone: TimeZone) -> String {
        LocalTime.of(date, in: zone).hhmm
    }

    private static func shortDay(_ day: LocalDate) -> String {
        shortWeekdayNames[day.weekday.rawValue - 1] + " " + String(day.day) + " " + shortMonthNames[day.month - 1]
    }

    private static let shortWeekdayNames = weekdayNames.map { String($0.prefix(3)) }
    private static let shortMonthNames = monthNames.map { String($0.prefix(3)) }

    /// "Europe/Berlin (CEST)": the zone named as the clinic knows it, with the abbreviation in force at `date`.
    ///
    /// Foundation builds an ICU time-zone formatter for every `abbreviation(for:)` call, which made this
    /// the costliest line of a list page; the answer only changes with the zone's offset and daylight
    /// saving, so it is kept per (zone, offset, daylight saving).
    public static func zoneName(_ zone: TimeZone, at date: Date) -> String {
        let key = ZoneNameKey(identifier: zone.identifier, offset: zone.secondsFromGMT(for: date),
                              daylightSaving: zone.isDaylightSavingTime(for: date))
        if let known = zoneNameLock.withLock({ zoneNames[key] }) { return known }
        let abbreviation = zone.abbreviation(for: date) ?? ""
        let name = abbreviation.isEmpty ? zone.identifier : "\(zone.identifier) (\(abbreviation))"
        zoneNameLock.withLock { zoneNames[key] = name }
        return name
    }

    private static let zoneNameLock = NSLock()
    nonisolated(unsafe) private static var zoneNames: [ZoneNameKey: String] = [:]

    private struct ZoneNameKey: Hashable {
        var identifier: String
        var offset: Int
        var daylightSaving: Bool
    }
}
