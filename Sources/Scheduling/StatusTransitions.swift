import Foundation

/// The forward edges of DESIGN.md §3; nothing moves backwards.
private let edges: [AppointmentStatus: Set<AppointmentStatus>] = [
    .pending: [.confirmed, .cancelled],
    .confirmed: [.arrived, .cancelled, .noShow],
    .arrived: [.inProgress],
    .inProgress: [.completed],
]

/// Whether `role` may move an appointment from `from` to `to` at `now`: nil, or why not.
///
/// DESIGN.md §3: pending → confirmed → arrived → in_progress → completed;
/// pending | confirmed → cancelled (patient, doctor, admin; a patient only before the
/// start, and the cancel window is `cancellationDecision`'s business); confirmed →
/// no_show (doctor, admin, only once the start has passed). Patients take no edge
/// but cancelling.
public func checkTransition(from: AppointmentStatus, to: AppointmentStatus, by role: Role,
                            appointmentStart: Date, now: Date) -> TransitionRefusal? {
    guard edges[from]?.contains(to) == true else { return .notAllowed(from: from, to: to) }
    switch (role, to) {
    case (.patient, .cancelled):
        return now < appointmentStart ? nil : .alreadyStarted
    case (.patient, _):
        return .roleMayNot
    case (_, .noShow):
        return now >= appointmentStart ? nil : .notYetStarted
    default:
        return nil
    }
}

/// The statuses `role` may move the appointment to at `now`, in `AppointmentStatus.allCases` order (for action buttons).
public func allowedTransitions(from: AppointmentStatus, by role: Role, appointmentStart: Date, now: Date) -> [AppointmentStatus] {
    AppointmentStatus.allCases.filter {
        checkTransition(from: from, to: $0, by: role, appointmentStart: appointmentStart, now: now) == nil
    }
}
