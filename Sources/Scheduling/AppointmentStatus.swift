/// Where an appointment stands; raw values are the database's `status` strings.
public enum AppointmentStatus: String, Sendable, CaseIterable {
    /// Booked through the portal, waiting for the doctor to confirm.
    case pending
    /// Confirmed by the doctor or by the clinic's policy.
    case confirmed
    /// The patient has checked in.
    case arrived
    /// The consultation is under way.
    case inProgress = "in_progress"
    /// The consultation took place.
    case completed
    /// Cancelled by the patient, doctor or admin; the seat is free again.
    case cancelled
    /// The patient did not come; set only after the start.
    case noShow = "no_show"

    /// Whether the appointment holds a seat in its block (everything but cancelled and no-show).
    ///
    /// Completed counts: the seat was used, and the capacity constraint in the database counts the same set.
    public var isActive: Bool {
        switch self {
        case .pending, .confirmed, .arrived, .inProgress, .completed: return true
        case .cancelled, .noShow: return false
        }
    }

    /// Whether the appointment is still open for the patient to cancel or reschedule (pending or confirmed);
    /// these count towards `ClinicPolicy.maxOpenBookingsPerPatient`.
    public var isOpen: Bool { self == .pending || self == .confirmed }

    /// Whether no further transition is possible.
    public var isTerminal: Bool { self == .completed || self == .cancelled || self == .noShow }
}
