/// One thing wrong with a `WeeklyPattern`, with the form field it belongs beside.
public enum PatternProblem: Error, Sendable, Hashable {
    /// `end` is not later than `start`.
    case endNotAfterStart
    /// `slotMinutes` is outside `WeeklyPattern.slotMinutesRange`.
    case slotMinutesOutOfRange
    /// Not even one slot fits between `start` and `end`.
    case slotLongerThanWindow
    /// `capacity` is outside `WeeklyPattern.capacityRange`.
    case capacityOutOfRange
    /// `validTo` is before `validFrom`.
    case validToBeforeValidFrom

    /// The form field (DESIGN.md §4 naming) the message is shown beside.
    public var field: String {
        switch self {
        case .endNotAfterStart: return "end"
        case .slotMinutesOutOfRange, .slotLongerThanWindow: return "slot_minutes"
        case .capacityOutOfRange: return "capacity"
        case .validToBeforeValidFrom: return "valid_to"
        }
    }

    /// An English message for the field; Views may replace it from its catalog.
    public var message: String {
        switch self {
        case .endNotAfterStart: return "The end must be after the start."
        case .slotMinutesOutOfRange:
            return "Slots must be \(WeeklyPattern.slotMinutesRange.lowerBound) to \(WeeklyPattern.slotMinutesRange.upperBound) minutes long."
        case .slotLongerThanWindow: return "The slot is longer than the time between start and end."
        case .capacityOutOfRange:
            return "Capacity must be \(WeeklyPattern.capacityRange.lowerBound) to \(WeeklyPattern.capacityRange.upperBound)."
        case .validToBeforeValidFrom: return "The last date must not be before the first date."
        }
    }
}
