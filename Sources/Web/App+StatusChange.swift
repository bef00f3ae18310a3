import HTTPServer
import Scheduling
import Storage

extension App {
    /// Applies one status change of DESIGN.md §3 posted as `status`, `reason`, `version`, for a doctor
    /// (restricted to `doctorID`'s appointments) or an admin (`doctorID` nil).
    ///
    /// A move the state machine forbids, or a no-show before the start, is a 409 naming why; a form loaded
    /// before someone else changed the appointment (another tab) is a 409 too, never an overwrite.
    /// Audited with old status, new status and reason in the same transaction.
    /// - Returns: nil when applied; the form with its errors when it must be shown again (422, nothing written).
    /// - Throws: `AppError.badRequest` for a malformed form, `AppError.conflict` as above.
    func changeStatus(_ ctx: RequestContext, of appointment: Appointment, by role: Role, doctorID: Int64?) throws -> FormState? {
        let form = try ctx.form()
        guard let target = AppointmentStatus(rawValue: form.trimmed("status")), let version = Int(form.trimmed("version")) else {
            throw AppError.badRequest
        }
        guard version == appointment.version else { throw AppError.conflict(messageKey: "avail.status.stale") }
        switch checkTransition(from: appointment.status, to: target, by: role, appointmentStart: appointment.startsAt, now: ctx.now) {
        case nil: break
        case .notYetStarted: throw AppError.conflict(messageKey: "avail.status.not_yet_started")
        case .notAllowed, .alreadyStarted, .roleMayNot: throw AppError.conflict(messageKey: "avail.status.not_allowed")
        }
        let reason = form.trimmed("reason")
        var state = FormState(values: ["status": target.rawValue, "reason": String(reason.prefix(600))])
        if target == .cancelled, reason.isEmpty { state.errors["reason"] = ctx.t("avail.field.cancel_reason_required") }
        if reason.count > 500 { state.errors["reason"] = ctx.t("avail.field.too_long", ["max": "500"]) }
        guard state.errors.isEmpty else { return state }
        try database.transaction { db in
            guard try appointmentStore.changeStatus(id: appointment.id, doctorID: doctorID, expectedVersion: version, to: target,
                                                    reason: reason, by: ctx.user!.id, on: db) else {
                throw AppError.conflict(messageKey: "avail.status.stale")
            }
            try audit.record(actor: ctx.actor, action: target == .cancelled ? "appointment.cancelled" : "appointment.status_changed",
                             entity: "appointment", entityID: String(appointment.id),
                             details: ["from": appointment.status.rawValue, "to": target.rawValue, "reason": reason], on: db)
        }
        return nil
    }
}
