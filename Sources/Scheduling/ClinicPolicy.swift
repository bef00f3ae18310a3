/// A clinic's booking rules, set by an admin (DESIGN.md §3, clinic policy).
public struct ClinicPolicy: Sendable, Hashable {
    /// Minutes that must separate a new booking from the doctor's other active appointments.
    public var bufferMinutes: Int
    /// Minutes ahead of its start that a block stops being bookable online.
    public var minimumLeadMinutes: Int
    /// How many days ahead patients may book.
    public var horizonDays: Int
    /// Hours before the start inside which a patient's cancellation is late.
    public var lateCancelHours: Int
    /// Whether portal bookings start `confirmed` (true) or `pending` until the doctor confirms (false).
    public var portalBookingsStartConfirmed: Bool
    /// Whether a late cancellation is allowed (and flagged late) rather than refused.
    public var allowLateCancellation: Bool
    /// Most pending or confirmed future appointments one patient may hold at a clinic.
    public var maxOpenBookingsPerPatient: Int

    /// Creates a policy; the defaults are a cautious practice: no buffer, 2 h lead
    /// time, 90 days ahead, 24 h cancel window, doctor confirms, late cancellations
    /// refused, at most 5 open bookings.
    public init(bufferMinutes: Int = 0, minimumLeadMinutes: Int = 120, horizonDays: Int = 90,
                lateCancelHours: Int = 24, portalBookingsStartConfirmed: Bool = false,
                allowLateCancellation: Bool = false, maxOpenBookingsPerPatient: Int = 5) {
        self.bufferMinutes = bufferMinutes
        self.minimumLeadMinutes = minimumLeadMinutes
        self.horizonDays = horizonDays
        self.lateCancelHours = lateCancelHours
        self.portalBookingsStartConfirmed = portalBookingsStartConfirmed
        self.allowLateCancellation = allowLateCancellation
        self.maxOpenBookingsPerPatient = maxOpenBookingsPerPatient
    }

    /// Everything wrong with the policy as an admin entered it, empty when it can be saved.
    public func validate() -> [PolicyProblem] {
        var problems: [PolicyProblem] = []
        if !(0...240).contains(bufferMinutes) { problems.append(.bufferMinutesOutOfRange(0...240)) }
        if !(0...(60 * 24 * 30)).contains(minimumLeadMinutes) { problems.append(.minimumLeadMinutesOutOfRange(0...(60 * 24 * 30))) }
        if !(1...730).contains(horizonDays) { problems.append(.horizonDaysOutOfRange(1...730)) }
        if !(0...(24 * 14)).contains(lateCancelHours) { problems.append(.lateCancelHoursOutOfRange(0...(24 * 14))) }
        if !(1...100).contains(maxOpenBookingsPerPatient) { problems.append(.maxOpenBookingsOutOfRange(1...100)) }
        return problems
    }
}
