/// Why a status change is refused (the portal answers 409 with a clear message).
public enum TransitionRefusal: Error, Sendable, Equatable {
    /// The status graph has no such edge (including moving backwards or staying put).
    case notAllowed(from: AppointmentStatus, to: AppointmentStatus)
    /// A no-show before the appointment's start.
    case notYetStarted
    /// A patient cancelling an appointment that has already started.
    case alreadyStarted
    /// The edge exists but this role may not take it (patients may only cancel).
    case roleMayNot
}
