import Foundation

/// A doctor's recurring availability: every `weekday`, from `start` to `end` local
/// time, cut into slots of `slotMinutes`, each taking `capacity` patients, within a validity range.
public struct WeeklyPattern: Sendable, Hashable {
    /// Shortest and longest slot accepted, in minutes.
    public static let slotMinutesRange = 5...720
    /// Fewest and most patients per slot (1 for a consultation, more for group sessions).
    public static let capacityRange = 1...500

    /// The day of the week the pattern repeats on.
    public var weekday: Weekday
    /// Local start of the working window.
    public var start: LocalTime
    /// Local end of the working window; must be after `start` (windows do not cross midnight).
    public var end: LocalTime
    /// Length of each slot in minutes of real time.
    public var slotMinutes: Int
    /// Patients per slot.
    public var capacity: Int
    /// First date the pattern applies (inclusive).
    public var validFrom: LocalDate
    /// Last date the pattern applies (inclusive), or nil for open-ended.
    public var validTo: LocalDate?

    /// Creates a pattern; call `validate()` before trusting values from a form.
    public init(weekday: Weekday, start: LocalTime, end: LocalTime, slotMinutes: Int, capacity: Int = 1,
                validFrom: LocalDate, validTo: LocalDate? = nil) {
        self.weekday = weekday
        self.start = start
        self.end = end
        self.slotMinutes = slotMinutes
        self.capacity = capacity
        self.validFrom = validFrom
        self.validTo = validTo
    }

    /// Everything wrong with the pattern, empty when it can generate blocks.
    public func validate() -> [PatternProblem] {
        var problems: [PatternProblem] = []
        if end <= start { problems.append(.endNotAfterStart) }
        if !Self.slotMinutesRange.contains(slotMinutes) {
            problems.append(.slotMinutesOutOfRange)
        } else if end > start, slotMinutes > end.minutesSinceMidnight - start.minutesSinceMidnight {
            problems.append(.slotLongerThanWindow)
        }
        if !Self.capacityRange.contains(capacity) { problems.append(.capacityOutOfRange) }
        if let validTo, validTo < validFrom { problems.append(.validToBeforeValidFrom) }
        return problems
    }
}
