import Foundation

/// The Monday-to-Sunday week containing a date, for week grids and `?week=` links.
public struct WeekView: Sendable, Hashable {
    /// The Monday that starts the week.
    public let start: LocalDate

    /// The week containing `date`.
    public init(containing date: LocalDate) { start = date.startOfWeek() }

    /// The week named by a `?week=YYYY-MM-DD` query (any day of it), or the week of `today` when
    /// the query is missing or malformed: a bad link shows this week rather than an error.
    public init(query: String?, today: LocalDate) {
        self.init(containing: query.flatMap(LocalDate.init(iso:)) ?? today)
    }

    /// The seven dates, Monday first.
    public var days: [LocalDate] { (0..<7).map { start.adding(days: $0) } }

    /// The Sunday that ends the week.
    public var end: LocalDate { start.adding(days: 6) }

    /// The Monday of the week before.
    public var previousStart: LocalDate { start.adding(days: -7) }

    /// The Monday of the week after.
    public var nextStart: LocalDate { start.adding(days: 7) }

    /// Whether `date` falls in this week.
    public func contains(_ date: LocalDate) -> Bool { start <= date && date <= end }

    /// The week as real time in `zone`: from Monday's first instant to the next Monday's.
    ///
    /// A week with a daylight-saving change is 167 or 169 hours long, which is why this is not start + 7 × 24 h.
    public func range(in zone: TimeZone) -> TimeRange {
        TimeRange(start: startOfDay(start, in: zone), end: startOfDay(nextStart, in: zone))
    }
}
