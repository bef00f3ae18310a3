import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Views


extension App {
    // MARK: - Day

    /// `/doctor?date=YYYY-MM-DD`: the day's appointments in time order, each with the moves allowed now.
    ///
    /// An appointment belongs to the day by its own clinic's local date, so a doctor working in two
    /// zones sees each appointment on the day its clinic calls it. A missing or malformed date shows today.
    func doctorDay(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let home = homeZone(of: doctor)
        let today = LocalDate.of(ctx.now, in: home)
        let date = try ctx.query()["date"].flatMap(LocalDate.init(iso:)) ?? today
        // Every zone's day lies within 14 hours of UTC's: fetch that wide window, then keep the clinic-local day.
        let utcDay = date.range(in: TimeZone(identifier: "UTC")!)
        let window = TimeRange(start: utcDay.start.addingTimeInterval(-14 * 3600), end: utcDay.end.addingTimeInterval(14 * 3600))
        let appointments = try database.withConnection { db in
            try appointmentStore.forDoctor(doctor.id, startingIn: window, on: db)
        }.filter { LocalDate.of($0.startsAt, in: zone(of: $0)) == date }

        let day = date.range(in: home)
        let here = Routes.doctorDay(date)
        return try ctx.page("doctor_day", title: ctx.t("avail.day.title"), [
            "links": doctorLinks(ctx),
            "date": TimeFormatting.longDate(day.start.addingTimeInterval(12 * 3600), in: home),
            "isToday": date == today,
            "zone": zoneLabel(home, over: day),
            "previous": Routes.doctorDay(date.adding(days: -1)), "next": Routes.doctorDay(date.adding(days: 1)),
            "today": Routes.doctorDay(today), "calendar": Routes.doctorCalendar(week: date),
            "appointments": appointments.map { appointment -> [String: Any] in
                var row = appointmentRow(ctx, appointment)
                row["actions"] = actions(ctx, for: appointment, returnTo: here)
                return row
            },
            "hasAppointments": !appointments.isEmpty,
        ])
    }

    private func zone(of appointment: Appointment) -> TimeZone {
        TimeZone(identifier: appointment.clinicTimeZone) ?? TimeZone(identifier: "UTC")!
    }

    /// The buttons of the moves the doctor may make now. Cancelling needs a reason, so it links to the detail page.
    private func actions(_ ctx: RequestContext, for appointment: Appointment, returnTo: String) -> [[String: Any]] {
        allowedTransitions(from: appointment.status, by: .doctor, appointmentStart: appointment.startsAt, now: ctx.now).map { status in
            ["status": status.rawValue, "label": ctx.t("avail.action.\(status.rawValue)"),
             "needsReason": status == .cancelled, "href": Routes.doctorAppointment(appointment.id),
             "action": Routes.doctorAppointmentStatus(appointment.id), "version": appointment.version, "next": returnTo,
             "danger": status == .cancelled || status == .noShow]
        }
    }

    // MARK: - Week

    /// `/doctor/calendar?week=YYYY-MM-DD`: the week's blocks, free, partly booked, full or closed, in clinic local time.
    func doctorCalendar(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let home = homeZone(of: doctor)
        let week = WeekView(query: try ctx.query()["week"], today: LocalDate.of(ctx.now, in: home))
        let utcWeek = week.range(in: TimeZone(identifier: "UTC")!)
        let window = TimeRange(start: utcWeek.start.addingTimeInterval(-14 * 3600), end: utcWeek.end.addingTimeInterval(14 * 3600))
        let blocks = try database.withConnection { db in
            try scheduleStore.blocks(doctorID: doctor.id, overlapping: window, on: db)
        }
        let manyClinics = doctor.clinics.count > 1
        var byDay: [LocalDate: [[String: Any]]] = [:]
        for block in blocks {
            let zone = block.clinic.zone
            let date = LocalDate.of(block.range.start, in: zone)
            guard week.contains(date) else { continue }
            let state = blockState(ctx, block)
            var entry: [String: Any] = [
                "start": TimeFormatting.time(block.range.start, in: zone), "end": TimeFormatting.time(block.range.end, in: zone),
                "state": state.label, "stateClass": state.badge, "stateKey": state.key,
                "booked": block.booked, "capacity": block.capacity,
            ]
            if manyClinics { entry["clinic"] = block.clinic.name }
            byDay[date, default: []].append(entry)
        }
        let zones = (doctor.clinics.isEmpty ? [home] : doctor.clinics.map(\.zone))
        var zoneLabels: [String] = []
        for zone in zones {
            let label = zoneLabel(zone, over: week.range(in: zone))
            if !zoneLabels.contains(label) { zoneLabels.append(label) }
        }
        return try ctx.page("doctor_calendar", title: ctx.t("avail.calendar.title"), [
            "links": doctorLinks(ctx),
            "heading": ctx.t("avail.calendar.week_of", ["date": TimeFormatting.longDate(startOfDay(week.start, in: home).addingTimeInterval(12 * 3600), in: home)]),
            "zone": zoneLabels.joined(separator: ", "),
            "previous": Routes.doctorCalendar(week: week.previousStart), "next": Routes.doctorCalendar(week: week.nextStart),
            "days": week.days.map { date -> [String: Any] in
                let noon = startOfDay(date, in: home).addingTimeInterval(12 * 3600)
                let blocks = byDay[date] ?? []
                return ["label": TimeFormatting.shortDate(noon, in: home), "href": Routes.doctorDay(date),
                        "blocks": blocks, "empty": blocks.isEmpty]
            },
        ])
    }

    // MARK: - One appointment

    /// `/doctor/appointments/{id}`: detail, notes and the status form; another doctor's appointment is a 404.
    func doctorAppointment(_ ctx: RequestContext) throws -> Response {
        let (doctor, appointment) = try ownAppointment(ctx)
        return try appointmentPage(ctx, doctor: doctor, appointment: appointment, status: FormState(), notes: FormState(), code: 200)
    }

    private func ownAppointment(_ ctx: RequestContext) throws -> (DoctorProfile, Appointment) {
        let doctor = try currentDoctor(ctx)
        let id = try ctx.id()
        guard let appointment = try database.withConnection({ db in try appointmentStore.find(id: id, doctorID: doctor.id, on: db) }) else {
            throw AppError.notFound
        }
        return (doctor, appointment)
    }

    private func appointmentPage(_ ctx: RequestContext, doctor: DoctorProfile, appointment: Appointment, status: FormState,
                                 notes: FormState, code: Int) throws -> Response {
        let zone = zone(of: appointment)
        let allowed = allowedTransitions(from: appointment.status, by: .doctor, appointmentStart: appointment.startsAt, now: ctx.now)
        var row = appointmentRow(ctx, appointment)
        row["patientNotes"] = appointment.patientNotes.isEmpty ? nil : appointment.patientNotes
        row["cancelReason"] = appointment.cancelReason
        row["date"] = TimeFormatting.longDate(appointment.startsAt, in: zone)
        let chosen = status.values["status"]
        return try ctx.page("doctor_appointment", title: ctx.t("avail.appointment.title"), status: code, [
            "links": doctorLinks(ctx),
            "appointment": row,
            "day": Routes.doctorDay(LocalDate.of(appointment.startsAt, in: zone)),
            "transitions": allowed.map { ["value": $0.rawValue, "label": ctx.t("avail.action.\($0.rawValue)"), "selected": $0.rawValue == chosen] },
            "canChange": !allowed.isEmpty,
            "statusAction": Routes.doctorAppointmentStatus(appointment.id),
            "notesAction": Routes.doctorAppointmentNotes(appointment.id),
            "version": appointment.version,
            "statusForm": status.context,
            "notesForm": FormState(values: ["doctor_notes": notes.values["doctor_notes"] ?? appointment.doctorNotes],
                                   errors: notes.errors).context,
        ])
    }

    /// POST `/doctor/appointments/{id}/status` (`status`, `reason`, `version`): one move of DESIGN.md §3.
    ///
    /// A move the state machine forbids (or a no-show before the start) is a 409 naming why; a form
    /// loaded before someone else changed the appointment (another tab) is a 409 too, never an overwrite.
    /// Cancelling requires a reason, which the patient sees. Audited with old status, new status and reason.
    func changeAppointmentStatus(_ ctx: RequestContext) throws -> Response {
        let (doctor, appointment) = try ownAppointment(ctx)
        if let invalid = try changeStatus(ctx, of: appointment, by: .doctor, doctorID: doctor.id) {
            return try appointmentPage(ctx, doctor: doctor, appointment: appointment, status: invalid, notes: FormState(), code: 422)
        }
        let form = try ctx.form()
        let next = form["next"].flatMap(Self.localPath) ?? Routes.doctorAppointment(appointment.id)
        return ctx.redirect(to: next, flash: "avail.flash.status_changed")
    }

    /// POST `/doctor/appointments/{id}/notes` (`doctor_notes`, `version`): the doctor's notes, with the same
    /// stale-form check as status changes.
    func updateAppointmentNotes(_ ctx: RequestContext) throws -> Response {
        let (doctor, appointment) = try ownAppointment(ctx)
        let form = try ctx.form()
        guard let version = Int(form.trimmed("version")) else { throw AppError.badRequest }
        let notes = (form["doctor_notes"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard version == appointment.version else { throw AppError.conflict(messageKey: "avail.status.stale") }
        guard notes.count <= 5000 else {
            let state = FormState(values: ["doctor_notes": String(notes.prefix(5100))],
                                  errors: ["doctor_notes": ctx.t("avail.field.too_long", ["max": "5000"])])
            return try appointmentPage(ctx, doctor: doctor, appointment: appointment, status: FormState(), notes: state, code: 422)
        }
        try database.transaction { db in
            guard try appointmentStore.updateDoctorNotes(id: appointment.id, doctorID: doctor.id, expectedVersion: version, notes: notes, on: db) else {
                throw AppError.conflict(messageKey: "avail.status.stale")
            }
            try audit.record(actor: ctx.actor, action: "appointment.notes_updated", entity: "appointment",
                             entityID: String(appointment.id), details: ["length": String(notes.count)], on: db)
        }
        return ctx.redirect(to: Routes.doctorAppointment(appointment.id), flash: "avail.flash.notes_saved")
    }
}
