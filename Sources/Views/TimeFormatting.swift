import Foundation

/// Formats instants for people, always in the clinic's time zone (never the server's).
///
/// Formatters are costly to build, so one is cached per (zone, pattern) behind a lock.
public enum TimeFormatting {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: DateFormatter] = [:]

    private static func formatter(_ pattern: String, _ zone: TimeZone) -> DateFormatter {
        let key = zone.identifier + "|" + pattern
        return lock.withLock {
            if let cached = cache[key] { return cached }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_GB")
            formatter.timeZone = zone
            formatter.dateFormat = pattern
            cache[key] = formatter
            return formatter
        }
    }

    /// "Mon 15 Jun 2026, 09:20".
    public static func dateTime(_ date: Date, in zone: TimeZone) -> String {
        let formatter = formatter("EEE d MMM yyyy, HH:mm", zone)
        return lock.withLock { formatter.string(from: date) }
    }

    /// "Monday 15 June 2026".
    public static func longDate(_ date: Date, in zone: TimeZone) -> String {
        let formatter = formatter("EEEE d MMMM yyyy", zone)
        return lock.withLock { formatter.string(from: date) }
    }

    /// "Mon 15 Jun".
    public static func shortDate(_ date: Date, in zone: TimeZone) -> String {
        let formatter = formatter("EEE d MMM", zone)
        return lock.withLock { formatter.string(from: date) }
    }

    /// "09:20".
    public static func time(_ date: Date, in zone: TimeZone) -> String {
        let formatter = formatter("HH:mm", zone)
        return lock.withLock { formatter.string(from: date) }
    }

    /// "Europe/Berlin (CEST)": the zone named as the clinic knows it, with the abbreviation in force at `date`.
    ///
    /// Foundation builds an ICU time-zone formatter for every `abbreviation(for:)` call, which made this
    /// the costliest line of a list page; the answer only changes with the zone's offset and daylight
    /// saving, so it is kept per (zone, offset, daylight saving).
    public static func zoneName(_ zone: TimeZone, at date: Date) -> String {
        let key = "\(zone.identifier)|\(zone.secondsFromGMT(for: date))|\(zone.isDaylightSavingTime(for: date))"
        if let known = zoneNameLock.withLock({ zoneNames[key] }) { return known }
        let abbreviation = zone.abbreviation(for: date) ?? ""
        let name = abbreviation.isEmpty ? zone.identifier : "\(zone.identifier) (\(abbreviation))"
        zoneNameLock.withLock { zoneNames[key] = name }
        return name
    }

    private static let zoneNameLock = NSLock()
    nonisolated(unsafe) private static var zoneNames: [String: String] = [:]
}
