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
    public static func zoneName(_ zone: TimeZone, at date: Date) -> String {
        let abbreviation = zone.abbreviation(for: date) ?? ""
        return abbreviation.isEmpty ? zone.identifier : "\(zone.identifier) (\(abbreviation))"
    }
}
