import Foundation

extension LocalDate {
    /// The day as real time in `zone`: from its first instant to the next day's (23, 24 or 25 hours).
    public func range(in zone: TimeZone) -> TimeRange {
        TimeRange(start: startOfDay(self, in: zone), end: startOfDay(adding(days: 1), in: zone))
    }
}
