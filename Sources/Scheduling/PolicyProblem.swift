/// One out-of-range clinic policy value, with the range accepted.
public enum PolicyProblem: Error, Sendable, Hashable {
    /// `bufferMinutes` outside the range.
    case bufferMinutesOutOfRange(ClosedRange<Int>)
    /// `minimumLeadMinutes` outside the range.
    case minimumLeadMinutesOutOfRange(ClosedRange<Int>)
    /// `horizonDays` outside the range.
    case horizonDaysOutOfRange(ClosedRange<Int>)
    /// `lateCancelHours` outside the range.
    case lateCancelHoursOutOfRange(ClosedRange<Int>)
    /// `maxOpenBookingsPerPatient` outside the range.
    case maxOpenBookingsOutOfRange(ClosedRange<Int>)

    /// The form field the message is shown beside.
    public var field: String {
        switch self {
        case .bufferMinutesOutOfRange: return "buffer_minutes"
        case .minimumLeadMinutesOutOfRange: return "minimum_lead_minutes"
        case .horizonDaysOutOfRange: return "horizon_days"
        case .lateCancelHoursOutOfRange: return "late_cancel_hours"
        case .maxOpenBookingsOutOfRange: return "max_open_bookings"
        }
    }

    /// An English message naming the accepted range.
    public var message: String {
        switch self {
        case .bufferMinutesOutOfRange(let r), .minimumLeadMinutesOutOfRange(let r), .horizonDaysOutOfRange(let r),
             .lateCancelHoursOutOfRange(let r), .maxOpenBookingsOutOfRange(let r):
            return "Enter a whole number from \(r.lowerBound) to \(r.upperBound)."
        }
    }
}
