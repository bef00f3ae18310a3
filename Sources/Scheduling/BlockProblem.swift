/// Why a one-off block could not be made from the form's local date and times.
public enum BlockProblem: Error, Sendable, Hashable {
    /// The start time does not exist on that date (daylight-saving gap).
    case startDoesNotExist
    /// The end time does not exist on that date (daylight-saving gap).
    case endDoesNotExist
    /// The end is not after the start.
    case endNotAfterStart
    /// The capacity is outside `WeeklyPattern.capacityRange`.
    case capacityOutOfRange
}
