import Foundation
import HTTPServer
import Scheduling
import Storage
import Views

extension App {
    // MARK: - List

    /// `/patient`: the patient's upcoming appointments (soonest first) and past ones (latest first).
    func patientHome(_ ctx: RequestContext) throws -> Response {
        let patientID = try patient(ctx)
        let all = try database.withConnection { db in try appointmentStore.forPatient(patientID, on: db) }
        let upcoming = all.filter { $0.startsAt > ctx.now }
        let past = all.filter { $0.startsAt <= ctx.now }.reversed()
        return try ctx.page("patient_home", title: ctx.t("patient.title"), [
            "name": ctx.user?.fullName ?? "",
            "upcoming": upcoming.map { listValues($0, ctx) },
            "hasUpcoming": !upcoming.isEmpty,
            "past": past.map { listValues($0, ctx) },
            "hasPast": !past.isEmpty,
            "directory": Routes.doctors,
        ])
    }

    private func listValues(_ appointment: Appointment, _ ctx: RequestContext) -> [String: Any] {
        let zone = clinicZone(appointment)
        return withoutEmptyStrings([
            "when": TimeFormatting.dateTime(appointment.startsAt, in: zone),
            "zone": TimeFormatting.zoneName(zone, at: appointment.startsAt),
            "doctor": appointment.doctorName, "clinic": appointment.clinicName,
            "type": appointment.appointmentTypeName ?? "",
            "status": appointment.status.rawValue, "statusLabel": ctx.t("booking.status." + appointment.status.rawValue),
            "link": Routes.patientAppointment(appointment.id),
        ])
    }

    // MARK: - Detail and calendar file

    /// GET `/patient/appointments/{id}` (the page) and `/patient/appointments/{id}.ics` (RFC 5545 file).
    func patientAppointment(_ ctx: RequestContext) throws -> Response {
        let raw = ctx.parameters["id"] ?? ""
        if raw.hasSuffix(Routes.calendarSuffix) {
            ctx.parameters["id"] = String(raw.dropLast(Routes.calendarSuffix.count))
            return try appointmentCalendar(ctx, id: try ctx.id())
        }
        let appointment = try ownAppointment(ctx, id: try ctx.id())
        return try detailPage(ctx, appointment, values: [:], errors: [:], problem: nil, status: 200)
    }

    private func appointmentCalendar(_ ctx: RequestContext, id: Int64) throws -> Response {
        let appointment = try ownAppointment(ctx, id: id)
        let status: ICalendar.Status
        switch appointment.status {
        case .pending: status = .tentative
        case .cancelled, .noShow: status = .cancelled
        case .confirmed, .arrived, .inProgress, .completed: status = .confirmed
        }
        let summary = ctx.t("booking.ics.summary", ["type": appointment.appointmentTypeName ?? ctx.t("booking.ics.appointment"),
                                                    "doctor": appointment.doctorName])
        let location = [appointment.clinicName, appointment.clinicAddress].filter { !$0.isEmpty }.joined(separator: ", ")
        let event = ICalendar.Event(uid: "appointment-\(appointment.id)@clinic-portal", stamp: ctx.now,
                                    start: appointment.startsAt, end: appointment.endsAt, summary: summary, location: location,
                                    description: ctx.t("booking.ics.description", ["phone": appointment.clinicPhone]),
                                    status: status, sequence: appointment.version - 1, lastModified: appointment.updatedAt)
        var response = Response(status: 200, body: Array(ICalendar(events: [event]).serialized().utf8))
        response.headers.set("Content-Type", "text/calendar; charset=utf-8")
        response.headers.set("Content-Disposition", "attachment; filename=\"appointment-\(appointment.id).ics\"")
        return ctx.finish(response)
    }

    /// The appointment if it is the signed-in patient's own.
    /// - Throws: `AppError.notFound` for a missing one and for anyone else's alike.
    private func ownAppointment(_ ctx: RequestContext, id: Int64) throws -> Appointment {
        let patientID = try patient(ctx)
        guard let appointment = try database.withConnection({ db in try appointmentStore.find(id: id, patientID: patientID, on: db) })
        else { throw AppError.notFound }
        return appointment
    }

    private func clinicZone(_ appointment: Appointment) -> TimeZone {
        TimeZone(identifier: appointment.clinicTimeZone) ?? TimeZone(secondsFromGMT: 0)!
    }

    private func detailPage(_ ctx: RequestContext, _ appointment: Appointment, values: [String: String], errors: [String: String],
                            problem: String?, status: Int) throws -> Response {
        let zone = clinicZone(appointment)
        let decision = try database.withConnection { db in
            try appointmentStore.cancellationDecision(for: appointment, now: ctx.now, on: db)
        }
        let policyHours = try lateCancelHours(appointment)
        var values: [String: Any] = [
            "appointment": withoutEmptyStrings([
                "when": TimeFormatting.dateTime(appointment.startsAt, in: zone) + "–" + TimeFormatting.time(appointment.endsAt, in: zone),
                "zone": TimeFormatting.zoneName(zone, at: appointment.startsAt),
                "doctor": appointment.doctorName, "clinic": appointment.clinicName, "address": appointment.clinicAddress,
                "phone": appointment.clinicPhone, "type": appointment.appointmentTypeName ?? "",
                "reason": appointment.reason, "notes": appointment.patientNotes,
                "status": appointment.status.rawValue, "statusLabel": ctx.t("booking.status." + appointment.status.rawValue),
                "cancelReason": appointment.cancelReason ?? "", "cancelledLate": appointment.cancelledLate,
            ]),
            "calendarLink": Routes.patientAppointmentCalendar(appointment.id),
            "cancelAction": Routes.cancelAppointment(appointment.id),
            "rescheduleLink": Routes.rescheduleAppointment(appointment.id),
            "back": Routes.patientHome,
            "values": values,
            "errors": errors,
            "hasErrors": !errors.isEmpty,
            "cancelReasonMax": BookingLimits.cancelReasonLength,
        ]
        if let problem { values["problem"] = problem }
        switch decision {
        case .allowed?: values["canChange"] = true
        case .allowedLate?:
            values["canChange"] = true
            values["lateWarning"] = ctx.t("booking.cancel.late_warning", ["hours": String(policyHours)])
        case .refusedLate?:
            values["lateRefused"] = ctx.t("booking.cancel.late_refused", ["hours": String(policyHours), "phone": appointment.clinicPhone])
        case nil: break
        }
        return try ctx.page("patient_appointment", title: ctx.t("booking.detail.title"), status: status, values)
    }

    // MARK: - Cancel

    /// POST `/patient/appointments/{id}/cancel` with a required `cancel_reason`.
    func cancelAppointment(_ ctx: RequestContext) throws -> Response {
        let patientID = try patient(ctx)
        let appointment = try ownAppointment(ctx, id: try ctx.id())
        let form = try ctx.form()
        let reason = form.trimmed("cancel_reason")
        var errors: [String: String] = [:]
        if reason.isEmpty {
            errors["cancel_reason"] = ctx.t("booking.field.cancel_reason.required")
        } else if reason.unicodeScalars.count > BookingLimits.cancelReasonLength {
            errors["cancel_reason"] = ctx.t("booking.field.cancel_reason.too_long", ["max": String(BookingLimits.cancelReasonLength)])
        }
        guard errors.isEmpty else {
            return try detailPage(ctx, appointment, values: ["cancel_reason": reason], errors: errors, problem: nil, status: 422)
        }
        let outcome: PatientCancelOutcome
        do {
            outcome = try appointmentStore.cancel(appointmentID: appointment.id, patientID: patientID, reason: reason, now: ctx.now,
                                                  actor: ctx.actor, audit: audit, pool: database)
        } catch is AppointmentNotFound {
            throw AppError.notFound
        }
        switch outcome {
        case .cancelled(let late):
            return ctx.redirect(to: Routes.patientAppointment(appointment.id), flash: late ? "booking.flash.cancelled_late" : "booking.flash.cancelled")
        case .refusedLate(let phone):
            let hours = try lateCancelHours(appointment)
            return try detailPage(ctx, appointment, values: ["cancel_reason": reason], errors: [:],
                                  problem: ctx.t("booking.cancel.late_refused", ["hours": String(hours), "phone": phone]), status: 409)
        case .notCancellable:
            return try detailPage(ctx, appointment, values: [:], errors: [:], problem: ctx.t("booking.cancel.not_cancellable"), status: 409)
        }
    }

    private func lateCancelHours(_ appointment: Appointment) throws -> Int {
        try database.withConnection { db in
            try db.query("SELECT late_cancel_hours FROM clinics WHERE id = \(appointment.clinicID)")[0].decode("late_cancel_hours")
        }
    }

    // MARK: - Reschedule

    /// GET `/patient/appointments/{id}/reschedule?week=`: the doctor's free blocks of a week to move to.
    func showReschedule(_ ctx: RequestContext) throws -> Response {
        let appointment = try ownAppointment(ctx, id: try ctx.id())
        return try reschedulePage(ctx, appointment, week: try ctx.query()["week"], errors: [:], problem: nil, status: 200)
    }

    /// POST `/patient/appointments/{id}/reschedule` with `block_id`: new booking and old cancellation in one transaction.
    func reschedule(_ ctx: RequestContext) throws -> Response {
        let patientID = try patient(ctx)
        let appointment = try ownAppointment(ctx, id: try ctx.id())
        let form = try ctx.form()
        let week = form.trimmed("week")
        guard let blockID = Int64(form.trimmed("block_id")), blockID > 0 else {
            return try reschedulePage(ctx, appointment, week: week, errors: ["block_id": ctx.t("booking.field.block.required")],
                                      problem: nil, status: 422)
        }
        let outcome: RescheduleOutcome
        do {
            outcome = try appointmentStore.reschedule(appointmentID: appointment.id, patientID: patientID, to: blockID,
                                                      cancelReason: ctx.t("booking.reschedule.cancel_reason"), now: ctx.now,
                                                      actor: ctx.actor, audit: audit, pool: database)
        } catch is AppointmentNotFound {
            throw AppError.notFound
        } catch is BookingTargetMissing {
            outcome = .refused(.blockClosed)
        }
        switch outcome {
        case .rescheduled(let newID):
            return ctx.redirect(to: Routes.patientAppointment(newID), flash: "booking.flash.rescheduled")
        case .refused(let refusal):
            let policy = try database.withConnection { db in
                try appointmentStore.bookingTarget(blockID: blockID, on: db)?.policy
            } ?? ClinicPolicy()
            return try reschedulePage(ctx, appointment, week: week, errors: [:],
                                      problem: ctx.t(refusalTitleKey(refusal)) + ". " + refusalMessage(ctx, refusal, policy: policy), status: 409)
        case .refusedLate(let phone):
            let hours = try lateCancelHours(appointment)
            return try reschedulePage(ctx, appointment, week: week, errors: [:],
                                      problem: ctx.t("booking.cancel.late_refused", ["hours": String(hours), "phone": phone]), status: 409)
        case .notChangeable:
            return try reschedulePage(ctx, appointment, week: week, errors: [:], problem: ctx.t("booking.cancel.not_cancellable"), status: 409)
        }
    }

    private func reschedulePage(_ ctx: RequestContext, _ appointment: Appointment, week query: String?, errors: [String: String],
                                problem: String?, status: Int) throws -> Response {
        let zone = clinicZone(appointment)
        let today = LocalDate.of(ctx.now, in: zone)
        // Without a chosen week, start at the appointment's own week (or this week if it is past).
        let anchor = LocalDate.of(max(ctx.now, appointment.startsAt), in: zone)
        let week = WeekView(query: query.flatMap { $0.isEmpty ? nil : $0 }, today: anchor)
        let (blocks, decision) = try database.withConnection { db in
            (try directoryStore.bookableBlocks(doctorID: appointment.doctorID, startingIn: week.range(in: zone), now: ctx.now, on: db)
                .filter { $0.id != appointment.timeBlockID },
             try appointmentStore.cancellationDecision(for: appointment, now: ctx.now, on: db))
        }
        let changeable = decision == .allowed || decision == .allowedLate
        var values = weekValues(ctx, week: week, zone: zone, blocks: changeable ? blocks : [], showClinic: false) { _ in [:] }
        values.merge([
            "appointment": [
                "when": TimeFormatting.dateTime(appointment.startsAt, in: zone),
                "doctor": appointment.doctorName, "clinic": appointment.clinicName,
            ],
            "changeable": changeable,
            "errors": errors,
            "hasErrors": !errors.isEmpty,
            "next": Routes.rescheduleAppointment(appointment.id, week: week.nextStart),
            "action": Routes.rescheduleAppointment(appointment.id),
            "back": Routes.patientAppointment(appointment.id),
            // Either may be nil, which the renderer treats as missing.
            "problem": (problem ?? (changeable ? nil : ctx.t("booking.reschedule.not_possible"))) as Any,
            "previous": pagerLink(week.previousStart, today: today) { Routes.rescheduleAppointment(appointment.id, week: $0) } as Any,
        ]) { _, new in new }
        return try ctx.page("reschedule", title: ctx.t("booking.reschedule.title"), status: status, values)
    }
}
