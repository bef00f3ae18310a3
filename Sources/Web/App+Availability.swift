import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Views


/// The values and field messages of one form on a page, kept when it is re-rendered with errors.
struct FormState {
    var values: [String: String] = [:]
    var errors: [String: String] = [:]

    /// The shape templates read: `values.x`, `errors.x`, `hasErrors`.
    var context: [String: Any] { ["values": values, "errors": errors, "hasErrors": !errors.isEmpty] }
}

extension FormData {
    /// A whole number field: nil when missing or not a plain integer (so "3.5" or "12abc" is refused, not truncated).
    func wholeNumber(_ name: String) -> Int? {
        let text = trimmed(name)
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else { return nil }
        return Int(text)
    }
}

extension App {
    /// Routes of clinics, appointment types, doctors' availability and the doctor's views (issue 5).
    func registerAvailabilityRoutes(_ router: inout Router) {
        // Admin: the practice (App+AdminPractice.swift).
        router.add("GET", Routes.adminClinics, .role(.admin)) { [unowned self] in try adminClinics($0) }
        router.add("POST", Routes.adminClinics, .role(.admin)) { [unowned self] in try createClinic($0) }
        router.add("GET", "/admin/clinics/{id}", .role(.admin)) { [unowned self] in try adminClinic($0) }
        router.add("POST", "/admin/clinics/{id}", .role(.admin)) { [unowned self] in try updateClinic($0) }
        router.add("GET", Routes.adminSettings, .role(.admin)) { [unowned self] in try adminSettings($0) }
        router.add("POST", Routes.adminSettings, .role(.admin)) { [unowned self] in try updateSettings($0) }
        router.add("GET", Routes.adminAppointmentTypes, .role(.admin)) { [unowned self] in try adminAppointmentTypes($0) }
        router.add("POST", Routes.adminAppointmentTypes, .role(.admin)) { [unowned self] in try createAppointmentType($0) }
        router.add("GET", "/admin/appointment-types/{id}", .role(.admin)) { [unowned self] in try adminAppointmentType($0) }
        router.add("POST", "/admin/appointment-types/{id}", .role(.admin)) { [unowned self] in try updateAppointmentType($0) }
        router.add("GET", Routes.adminNewDoctor, .role(.admin)) { [unowned self] in try showNewDoctor($0) }
        router.add("POST", Routes.adminNewDoctor, .role(.admin)) { [unowned self] in try createDoctor($0) }

        // Doctor: availability (this file).
        router.add("GET", Routes.doctorAvailability, .role(.doctor)) { [unowned self] in try doctorAvailability($0) }
        router.add("POST", Routes.doctorPatterns, .role(.doctor)) { [unowned self] in try createPattern($0) }
        router.add("POST", Routes.doctorGenerateBlocks, .role(.doctor)) { [unowned self] in try generateBlocks($0) }
        router.add("POST", Routes.doctorBlocks, .role(.doctor)) { [unowned self] in try createBlock($0) }
        router.add("POST", "/doctor/blocks/{id}/delete", .role(.doctor)) { [unowned self] in try deleteBlock($0) }
        router.add("POST", Routes.doctorTimeOff, .role(.doctor)) { [unowned self] in try createTimeOff($0) }

        // Doctor: day, week and appointments (App+DoctorViews.swift).
        router.add("GET", Routes.doctorHome, .role(.doctor)) { [unowned self] in try doctorDay($0) }
        router.add("GET", Routes.doctorCalendar, .role(.doctor)) { [unowned self] in try doctorCalendar($0) }
        router.add("GET", "/doctor/appointments/{id}", .role(.doctor)) { [unowned self] in try doctorAppointment($0) }
        router.add("POST", "/doctor/appointments/{id}/status", .role(.doctor)) { [unowned self] in try changeAppointmentStatus($0) }
        router.add("POST", "/doctor/appointments/{id}/notes", .role(.doctor)) { [unowned self] in try updateAppointmentNotes($0) }
    }

    // MARK: - Shared by the doctor's pages

    /// The signed-in doctor's profile.
    /// - Throws: `AppError.notFound` when the account has no doctor row (an admin never finished setting it up).
    func currentDoctor(_ ctx: RequestContext) throws -> DoctorProfile {
        guard let user = ctx.user,
              let doctor = try database.withConnection({ db in try practiceStore.doctor(userID: user.id, on: db) }) else {
            throw AppError.notFound
        }
        return doctor
    }

    /// The zone a doctor's "today" is reckoned in: their first clinic's, or UTC before they have one.
    func homeZone(of doctor: DoctorProfile) -> TimeZone {
        doctor.clinics.first?.zone ?? TimeZone(identifier: "UTC")!
    }

    /// The sub-navigation of the doctor's pages (day, calendar, availability).
    func doctorLinks(_ ctx: RequestContext) -> [[String: String]] {
        [[Routes.doctorHome, "avail.nav.day"], [Routes.doctorCalendar, "avail.nav.calendar"],
         [Routes.doctorAvailability, "avail.nav.availability"]].map { pair in
            var link = ["href": pair[0], "label": ctx.t(pair[1])]
            if ctx.request.path == pair[0] { link["current"] = "page" }
            return link
        }
    }

    /// "Europe/Berlin (CET)", or "Europe/Berlin (CET → CEST)" when the offset changes within `range`.
    func zoneLabel(_ zone: TimeZone, over range: TimeRange) -> String {
        let first = TimeFormatting.zoneName(zone, at: range.start)
        let last = TimeFormatting.zoneName(zone, at: range.end.addingTimeInterval(-1))
        guard first != last, let a = zone.abbreviation(for: range.start),
              let b = zone.abbreviation(for: range.end.addingTimeInterval(-1)) else { return first }
        return "\(zone.identifier) (\(a) → \(b))"
    }

    /// Options of a clinic `<select>` among the doctor's clinics.
    private func clinicOptions(_ doctor: DoctorProfile, selected: String?) -> [[String: Any]] {
        doctor.clinics.enumerated().map { index, clinic in
            let isSelected = selected.map { $0 == String(clinic.id) } ?? (index == 0)
            return ["value": String(clinic.id), "label": "\(clinic.name) — \(clinic.timeZone)", "selected": isSelected]
        }
    }

    /// The doctor's clinic named by a form's `clinic_id`, or nil (missing, malformed, or not one of theirs).
    private func chosenClinic(_ form: FormData, of doctor: DoctorProfile) -> ClinicRef? {
        guard let id = Int64(form.trimmed("clinic_id")) else { return nil }
        return doctor.clinics.first { $0.id == id }
    }

    // MARK: - Availability page

    /// The forms of the availability page, each with its own values and messages.
    struct AvailabilityForms {
        var pattern = FormState()
        var generate = FormState()
        var block = FormState()
        var timeOff = FormState()
    }

    /// `/doctor/availability`: patterns, upcoming blocks (booked/capacity), time off with the appointments inside it.
    func doctorAvailability(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let generated = try ctx.query().wholeNumber("generated")
        return try availabilityPage(ctx, doctor: doctor, forms: AvailabilityForms(), status: 200, generated: generated)
    }

    /// Renders the availability page; forms re-rendered after an error keep their values and messages.
    private func availabilityPage(_ ctx: RequestContext, doctor: DoctorProfile, forms: AvailabilityForms, status: Int,
                                  generated: Int? = nil) throws -> Response {
        let home = homeZone(of: doctor)
        let today = LocalDate.of(ctx.now, in: home)
        let upcoming = TimeRange(start: ctx.now, end: today.adding(days: 29).range(in: home).start)
        let (patterns, blocks, timeOff, affected) = try database.withConnection { db in
            let timeOff = try scheduleStore.timeOff(doctorID: doctor.id, endingAfter: ctx.now, on: db)
            let affected = try timeOff.map { try appointmentStore.activeForDoctor(doctor.id, overlapping: $0.range, on: db) }
            return (try scheduleStore.patterns(doctorID: doctor.id, on: db),
                    try scheduleStore.blocks(doctorID: doctor.id, overlapping: upcoming, on: db), timeOff, affected)
        }

        var pattern = forms.pattern
        if pattern.values.isEmpty {
            pattern.values = ["weekday": "1", "start": "09:00", "end": "12:00", "slot_minutes": "20", "capacity": "1",
                              "valid_from": today.iso]
        }
        var generate = forms.generate
        if generate.values.isEmpty { generate.values = ["weeks": "4"] }
        var block = forms.block
        if block.values.isEmpty { block.values = ["date": today.adding(days: 1).iso, "start": "09:00", "end": "10:00", "capacity": "1"] }
        var timeOffForm = forms.timeOff
        if timeOffForm.values.isEmpty { timeOffForm.values = ["start_date": today.adding(days: 1).iso, "end_date": today.adding(days: 1).iso] }

        let weekdays = Weekday.allCases.map { day -> [String: Any] in
            ["value": String(day.rawValue), "label": ctx.t("avail.weekday.\(day.rawValue)"),
             "selected": pattern.values["weekday"] == String(day.rawValue)]
        }
        var values: [String: Any] = [
            "links": doctorLinks(ctx),
            "hasClinics": !doctor.clinics.isEmpty,
            "zone": TimeFormatting.zoneName(home, at: ctx.now),
            "patterns": patterns.map { stored -> [String: Any] in
                let p = stored.pattern
                return ["clinic": stored.clinic.name, "weekday": ctx.t("avail.weekday.\(p.weekday.rawValue)"),
                        "start": p.start.hhmm, "end": p.end.hhmm, "slot": p.slotMinutes, "capacity": p.capacity,
                        "validFrom": p.validFrom.iso, "validTo": p.validTo?.iso ?? ctx.t("avail.pattern.open_ended")]
            },
            "blocks": blocks.map { stored -> [String: Any] in
                let zone = stored.clinic.zone
                return ["id": stored.id, "date": TimeFormatting.shortDate(stored.range.start, in: zone),
                        "start": TimeFormatting.time(stored.range.start, in: zone),
                        "end": TimeFormatting.time(stored.range.end, in: zone),
                        "zone": TimeFormatting.zoneName(zone, at: stored.range.start),
                        "clinic": stored.clinic.name, "booked": stored.booked, "capacity": stored.capacity,
                        "hasBookings": stored.booked > 0, "state": blockState(ctx, stored).label,
                        "stateClass": blockState(ctx, stored).badge, "open": stored.open,
                        "deleteAction": Routes.doctorDeleteBlock(stored.id)]
            },
            "timeOff": zip(timeOff, affected).map { entry, appointments -> [String: Any] in
                ["from": TimeFormatting.dateTime(entry.range.start, in: home), "to": TimeFormatting.dateTime(entry.range.end, in: home),
                 "reason": entry.reason,
                 "appointments": appointments.map { appointmentRow(ctx, $0) }, "hasAppointments": !appointments.isEmpty]
            },
            "pattern": pattern.context, "generate": generate.context, "block": block.context, "timeOffForm": timeOffForm.context,
            "weekdays": weekdays,
            "patternClinics": clinicOptions(doctor, selected: pattern.values["clinic_id"]),
            "blockClinics": clinicOptions(doctor, selected: block.values["clinic_id"]),
            "timeOffClinics": clinicOptions(doctor, selected: timeOffForm.values["clinic_id"]),
            "actions": ["pattern": Routes.doctorPatterns, "generate": Routes.doctorGenerateBlocks,
                        "block": Routes.doctorBlocks, "timeOff": Routes.doctorTimeOff],
        ]
        if let generated { values["generated"] = ctx.t("avail.blocks.generated", ["count": String(generated)]) }
        return try ctx.page("doctor_availability", title: ctx.t("avail.availability.title"), status: status, values)
    }

    /// How a block shows in lists and the calendar: free, partly booked, full or closed.
    func blockState(_ ctx: RequestContext, _ block: StoredBlock) -> (label: String, badge: String, key: String) {
        if !block.open { return (ctx.t("avail.block.closed"), "badge badge-cancelled block-closed", "closed") }
        if block.booked >= block.capacity { return (ctx.t("avail.block.full"), "badge block-full", "full") }
        if block.booked > 0 { return (ctx.t("avail.block.partly"), "badge badge-pending block-partly", "partly") }
        return (ctx.t("avail.block.free"), "badge badge-confirmed block-free", "free")
    }

    /// One appointment as a row of a doctor's list: time in its clinic's zone, patient, type, reason, status.
    func appointmentRow(_ ctx: RequestContext, _ appointment: Appointment) -> [String: Any] {
        let zone = TimeZone(identifier: appointment.clinicTimeZone) ?? TimeZone(identifier: "UTC")!
        return ["id": appointment.id, "href": Routes.doctorAppointment(appointment.id),
                "when": TimeFormatting.dateTime(appointment.startsAt, in: zone),
                "start": TimeFormatting.time(appointment.startsAt, in: zone), "end": TimeFormatting.time(appointment.endsAt, in: zone),
                "zone": TimeFormatting.zoneName(zone, at: appointment.startsAt),
                "patient": appointment.patientName, "type": appointment.appointmentTypeName ?? ctx.t("avail.appointment.no_type"),
                "reason": appointment.reason, "status": appointment.status.rawValue,
                "statusLabel": ctx.t("avail.status.\(appointment.status.rawValue)"), "clinic": appointment.clinicName]
    }

    // MARK: - Weekly patterns

    /// POST `/doctor/patterns`: a weekly pattern at one of the doctor's clinics; problems are a 422 form.
    func createPattern(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let form = try ctx.form()
        var state = FormState()
        for name in ["clinic_id", "weekday", "start", "end", "slot_minutes", "capacity", "valid_from", "valid_to"] {
            state.values[name] = String(form.trimmed(name).prefix(20))
        }
        let clinic = chosenClinic(form, of: doctor)
        if clinic == nil { state.errors["clinic_id"] = ctx.t("avail.field.clinic") }
        let weekday = form.wholeNumber("weekday").flatMap(Weekday.init(rawValue:))
        if weekday == nil { state.errors["weekday"] = ctx.t("avail.field.weekday") }
        let start = LocalTime(hhmm: form.trimmed("start"))
        if start == nil { state.errors["start"] = ctx.t("avail.field.time") }
        let end = LocalTime(hhmm: form.trimmed("end"))
        if end == nil { state.errors["end"] = ctx.t("avail.field.time") }
        let slot = form.wholeNumber("slot_minutes")
        if slot == nil { state.errors["slot_minutes"] = ctx.t("avail.field.number") }
        let capacity = form.wholeNumber("capacity")
        if capacity == nil { state.errors["capacity"] = ctx.t("avail.field.number") }
        let validFrom = LocalDate(iso: form.trimmed("valid_from"))
        if validFrom == nil { state.errors["valid_from"] = ctx.t("avail.field.date") }
        var validTo: LocalDate?
        if !form.trimmed("valid_to").isEmpty {
            validTo = LocalDate(iso: form.trimmed("valid_to"))
            if validTo == nil { state.errors["valid_to"] = ctx.t("avail.field.date") }
        }
        var forms = AvailabilityForms()
        guard let clinic, let weekday, let start, let end, let slot, let capacity, let validFrom, state.errors.isEmpty else {
            forms.pattern = state
            return try availabilityPage(ctx, doctor: doctor, forms: forms, status: 422)
        }
        let pattern = WeeklyPattern(weekday: weekday, start: start, end: end, slotMinutes: slot, capacity: capacity,
                                    validFrom: validFrom, validTo: validTo)
        for problem in pattern.validate() where state.errors[problem.field] == nil {
            state.errors[problem.field] = patternMessage(ctx, problem)
        }
        do {
            if state.errors.isEmpty {
                try database.transaction { db in
                    let id = try scheduleStore.createPattern(pattern, doctorID: doctor.id, clinicID: clinic.id, on: db)
                    try audit.record(actor: ctx.actor, action: "pattern.created", entity: "weekly_pattern", entityID: String(id), details: [
                        "clinic_id": String(clinic.id), "weekday": String(weekday.rawValue), "start": start.hhmm, "end": end.hhmm,
                        "slot_minutes": String(slot), "capacity": String(capacity), "valid_from": validFrom.iso,
                        "valid_to": validTo?.iso ?? "",
                    ], on: db)
                }
                return ctx.redirect(to: Routes.doctorAvailability, flash: "avail.flash.pattern_saved")
            }
        } catch PostgresError.checkViolation(let constraint) {
            // The schema's ranges are narrower than the domain's in places (e.g. slots of at most 480 minutes).
            let field = constraint?.contains("slot") == true ? "slot_minutes" : constraint?.contains("capacity") == true ? "capacity" : "end"
            state.errors[field] = ctx.t("avail.field.out_of_range")
        } catch PostgresError.foreignKeyViolation {
            state.errors["clinic_id"] = ctx.t("avail.field.clinic")
        }
        forms.pattern = state
        return try availabilityPage(ctx, doctor: doctor, forms: forms, status: 422)
    }

    private func patternMessage(_ ctx: RequestContext, _ problem: PatternProblem) -> String {
        switch problem {
        case .endNotAfterStart: ctx.t("avail.field.end_after_start")
        case .slotMinutesOutOfRange: ctx.t("avail.field.range", ["min": String(WeeklyPattern.slotMinutesRange.lowerBound),
                                                                  "max": String(WeeklyPattern.slotMinutesRange.upperBound)])
        case .slotLongerThanWindow: ctx.t("avail.field.slot_too_long")
        case .capacityOutOfRange: ctx.t("avail.field.range", ["min": String(WeeklyPattern.capacityRange.lowerBound),
                                                               "max": String(WeeklyPattern.capacityRange.upperBound)])
        case .validToBeforeValidFrom: ctx.t("avail.field.valid_to")
        }
    }

    // MARK: - Blocks

    /// POST `/doctor/blocks/generate`: blocks from every pattern for the next `weeks` weeks (1–12).
    ///
    /// Idempotent: blocks that would overlap an existing one (booked or not) are skipped, so nothing is
    /// duplicated or moved. Blocks already past are not created; new blocks inside time off start closed.
    func generateBlocks(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let form = try ctx.form()
        guard let weeks = form.wholeNumber("weeks"), (1...12).contains(weeks) else {
            var forms = AvailabilityForms()
            forms.generate = FormState(values: ["weeks": String(form.trimmed("weeks").prefix(10))],
                                       errors: ["weeks": ctx.t("avail.field.range", ["min": "1", "max": "12"])])
            return try availabilityPage(ctx, doctor: doctor, forms: forms, status: 422)
        }
        let created = try database.transaction { db -> Int in
            var created = 0
            for stored in try scheduleStore.patterns(doctorID: doctor.id, on: db) {
                let zone = stored.clinic.zone
                let today = LocalDate.of(ctx.now, in: zone)
                let specs = Scheduling.generateBlocks(for: stored.pattern, from: today, through: today.adding(days: 7 * weeks - 1), in: zone)
                    .filter { $0.startsAt > ctx.now }
                created += try scheduleStore.insertBlocks(specs, doctorID: doctor.id, clinicID: stored.clinic.id, patternID: stored.id, on: db)
            }
            try scheduleStore.closeBlocksInTimeOff(doctorID: doctor.id, on: db)
            try audit.record(actor: ctx.actor, action: "blocks.generated", entity: "doctor", entityID: String(doctor.id),
                             details: ["weeks": String(weeks), "created": String(created)], on: db)
            return created
        }
        return ctx.redirect(to: Routes.doctorAvailability + "?generated=\(created)")
    }

    /// POST `/doctor/blocks`: a one-off block; an overlap with another block is a 422 form error.
    func createBlock(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let form = try ctx.form()
        var state = FormState()
        for name in ["clinic_id", "date", "start", "end", "capacity"] { state.values[name] = String(form.trimmed(name).prefix(20)) }
        let clinic = chosenClinic(form, of: doctor)
        if clinic == nil { state.errors["clinic_id"] = ctx.t("avail.field.clinic") }
        let date = LocalDate(iso: form.trimmed("date"))
        if date == nil { state.errors["date"] = ctx.t("avail.field.date") }
        let start = LocalTime(hhmm: form.trimmed("start"))
        if start == nil { state.errors["start"] = ctx.t("avail.field.time") }
        let end = LocalTime(hhmm: form.trimmed("end"))
        if end == nil { state.errors["end"] = ctx.t("avail.field.time") }
        let capacity = form.wholeNumber("capacity")
        if capacity == nil { state.errors["capacity"] = ctx.t("avail.field.number") }

        if let clinic, let date, let start, let end, let capacity, state.errors.isEmpty {
            do {
                let spec = try oneOffBlock(on: date, from: start, to: end, capacity: capacity, in: clinic.zone)
                if spec.startsAt <= ctx.now {
                    state.errors["date"] = ctx.t("avail.field.future")
                } else {
                    try database.transaction { db in
                        let id = try scheduleStore.insertBlock(spec, doctorID: doctor.id, clinicID: clinic.id, on: db)
                        try scheduleStore.closeBlocksInTimeOff(doctorID: doctor.id, on: db)
                        try audit.record(actor: ctx.actor, action: "block.created", entity: "time_block", entityID: String(id), details: [
                            "clinic_id": String(clinic.id), "starts_at": ISO8601DateFormatter().string(from: spec.startsAt),
                            "ends_at": ISO8601DateFormatter().string(from: spec.endsAt), "capacity": String(capacity),
                        ], on: db)
                    }
                    return ctx.redirect(to: Routes.doctorAvailability, flash: "avail.flash.block_saved")
                }
            } catch let problem as BlockProblem {
                switch problem {
                case .startDoesNotExist: state.errors["start"] = ctx.t("avail.field.time_skipped")
                case .endDoesNotExist: state.errors["end"] = ctx.t("avail.field.time_skipped")
                case .endNotAfterStart: state.errors["end"] = ctx.t("avail.field.end_after_start")
                case .capacityOutOfRange: state.errors["capacity"] = ctx.t("avail.field.out_of_range")
                }
            } catch PostgresError.exclusionViolation(constraint: "time_blocks_no_overlap") {
                state.errors["start"] = ctx.t("avail.field.overlap")
            } catch PostgresError.checkViolation(let constraint) {
                state.errors[constraint == "time_blocks_time_order" ? "end" : "capacity"] = ctx.t("avail.field.out_of_range")
            }
        }
        var forms = AvailabilityForms()
        forms.block = state
        return try availabilityPage(ctx, doctor: doctor, forms: forms, status: 422)
    }

    /// POST `/doctor/blocks/{id}/delete`: removes one of the doctor's blocks.
    ///
    /// While the block holds pending or confirmed appointments this is refused (409, with the list and a
    /// reason field) unless `cancel_reason` is given: then those appointments are cancelled with that reason,
    /// which the patients see, in the same transaction. A block whose appointments have already started
    /// cannot be removed. A block referenced by cancelled appointments is closed rather than deleted.
    func deleteBlock(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let id = try ctx.id()
        let form = try ctx.form()
        let reason = form.trimmed("cancel_reason")
        enum Outcome { case removed(BlockRemoval), refused(StoredBlock, [Appointment], error: String?) }
        let outcome = try database.transaction { db -> Outcome in
            guard try scheduleStore.block(id: id, doctorID: doctor.id, on: db) != nil else { throw AppError.notFound }
            // Lock order of AppointmentStore: appointment rows, then the block. Once the block is locked no booking
            // or cancellation of it can commit, so the second read is the final list.
            _ = try appointmentStore.activeInBlock(id, forUpdate: true, on: db)
            guard let block = try scheduleStore.block(id: id, doctorID: doctor.id, forUpdate: true, on: db) else { throw AppError.notFound }
            let active = try appointmentStore.activeInBlock(id, forUpdate: true, on: db)
            if active.contains(where: { !$0.status.isOpen }) { throw AppError.conflict(messageKey: "avail.block.delete_started") }
            if !active.isEmpty {
                if reason.isEmpty { return .refused(block, active, error: nil) }
                if reason.count > 500 { return .refused(block, active, error: ctx.t("avail.field.too_long", ["max": "500"])) }
                for appointment in try appointmentStore.cancelAllInBlock(id, reason: reason, by: ctx.user!.id, on: db) {
                    try audit.record(actor: ctx.actor, action: "appointment.cancelled", entity: "appointment",
                                     entityID: String(appointment.id), details: [
                                        "from": appointment.status.rawValue, "to": AppointmentStatus.cancelled.rawValue,
                                        "reason": reason, "cause": "block_removed", "block_id": String(id),
                                     ], on: db)
                }
            }
            let removal = try scheduleStore.removeBlock(id: id, on: db)
            try audit.record(actor: ctx.actor, action: removal == .deleted ? "block.deleted" : "block.closed", entity: "time_block",
                             entityID: String(id), details: ["cancelled": String(active.count)], on: db)
            return .removed(removal)
        }
        switch outcome {
        case .removed(let removal):
            return ctx.redirect(to: Routes.doctorAvailability,
                                flash: removal == .deleted ? "avail.flash.block_deleted" : "avail.flash.block_closed")
        case .refused(let block, let appointments, let error):
            let zone = block.clinic.zone
            return try ctx.page("doctor_block_delete", title: ctx.t("avail.block_delete.title"), status: 409, [
                "links": doctorLinks(ctx),
                "when": TimeFormatting.dateTime(block.range.start, in: zone) + "–" + TimeFormatting.time(block.range.end, in: zone),
                "zone": TimeFormatting.zoneName(zone, at: block.range.start), "clinic": block.clinic.name,
                "appointments": appointments.map { appointmentRow(ctx, $0) },
                "action": Routes.doctorDeleteBlock(block.id), "back": Routes.doctorAvailability,
                "values": ["cancel_reason": String(reason.prefix(600))], "errors": error.map { ["cancel_reason": $0] } ?? [:],
            ])
        }
    }

    // MARK: - Time off

    /// POST `/doctor/time-off`: a range (in the chosen clinic's local time) and a reason. Blocks inside it are
    /// closed; appointments already inside are listed on the availability page for the doctor to act on.
    func createTimeOff(_ ctx: RequestContext) throws -> Response {
        let doctor = try currentDoctor(ctx)
        let form = try ctx.form()
        var state = FormState()
        for name in ["clinic_id", "start_date", "start_time", "end_date", "end_time"] {
            state.values[name] = String(form.trimmed(name).prefix(20))
        }
        let reason = form.trimmed("reason")
        state.values["reason"] = String(reason.prefix(600))
        let clinic = chosenClinic(form, of: doctor)
        if clinic == nil { state.errors["clinic_id"] = ctx.t("avail.field.clinic") }
        let startDate = LocalDate(iso: form.trimmed("start_date"))
        if startDate == nil { state.errors["start_date"] = ctx.t("avail.field.date") }
        let endDate = LocalDate(iso: form.trimmed("end_date"))
        if endDate == nil { state.errors["end_date"] = ctx.t("avail.field.date") }
        // Empty times mean whole days: from the start day's first instant to the end day's last.
        let startTime = form.trimmed("start_time").isEmpty ? LocalTime(hour: 0, minute: 0) : LocalTime(hhmm: form.trimmed("start_time"))
        if startTime == nil { state.errors["start_time"] = ctx.t("avail.field.time") }
        let endText = form.trimmed("end_time")
        let endTime = LocalTime(hhmm: endText)
        if !endText.isEmpty, endTime == nil { state.errors["end_time"] = ctx.t("avail.field.time") }
        if reason.isEmpty { state.errors["reason"] = ctx.t("avail.field.reason_required") }
        else if reason.count > 500 { state.errors["reason"] = ctx.t("avail.field.too_long", ["max": "500"]) }

        if let clinic, let startDate, let endDate, let startTime, state.errors.isEmpty {
            let zone = clinic.zone
            let start = instant(of: startDate, startTime, in: zone)
            let end = endTime.map { instant(of: endDate, $0, in: zone) } ?? startOfDay(endDate.adding(days: 1), in: zone)
            if start == nil { state.errors["start_time"] = ctx.t("avail.field.time_skipped") }
            if end == nil { state.errors["end_time"] = ctx.t("avail.field.time_skipped") }
            if let start, let end {
                if end <= start {
                    state.errors["end_date"] = ctx.t("avail.field.end_after_start")
                } else {
                    do {
                        let range = TimeRange(start: start, end: end)
                        try database.transaction { db in
                            let id = try scheduleStore.createTimeOff(doctorID: doctor.id, range: range, reason: reason, on: db)
                            let inside = try appointmentStore.activeForDoctor(doctor.id, overlapping: range, on: db)
                            let formatter = ISO8601DateFormatter()
                            try audit.record(actor: ctx.actor, action: "time_off.created", entity: "time_off", entityID: String(id), details: [
                                "starts_at": formatter.string(from: start), "ends_at": formatter.string(from: end), "reason": reason,
                                "appointments_inside": inside.map { String($0.id) }.joined(separator: ","),
                            ], on: db)
                        }
                        return ctx.redirect(to: Routes.doctorAvailability, flash: "avail.flash.time_off_saved")
                    } catch PostgresError.checkViolation {
                        state.errors["end_date"] = ctx.t("avail.field.end_after_start")
                    }
                }
            }
        }
        var forms = AvailabilityForms()
        forms.timeOff = state
        return try availabilityPage(ctx, doctor: doctor, forms: forms, status: 422)
    }
}
