import Foundation

/// What the clinic's policy says about a patient cancelling now.
public enum CancellationDecision: Sendable, Equatable {
    /// Outside the late-cancel window: cancel freely.
    case allowed
    /// Inside the window, but the clinic allows it; the cancellation is flagged late.
    case allowedLate
    /// Inside the window (or already started) and refused; the patient is shown the clinic's phone.
    case refusedLate
}

/// Whether a patient may cancel an appointment starting at `appointmentStart` at `now`.
///
/// Late means fewer than `lateCancelHours` × 1 h before the start; exactly at the
/// window's edge is not late. Once the appointment has started it is refused even
/// when late cancellation is allowed: there is nothing left to cancel. Doctors and
/// admins are not bound by the window.
public func cancellationDecision(appointmentStart: Date, now: Date, policy: ClinicPolicy) -> CancellationDecision {
    if now >= appointmentStart { return .refusedLate }
    let windowOpens = appointmentStart.addingTimeInterval(-TimeInterval(policy.lateCancelHours * 3600))
    if now <= windowOpens { return .allowed }
    return policy.allowLateCancellation ? .allowedLate : .refusedLate
}
