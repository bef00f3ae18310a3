import Foundation
import HTTPServer
import Scheduling
import Storage
import Views


extension App {
    // MARK: - List

    private static let appointmentFilterNames = ["from", "to", "clinic", "doctor", "patient", "status", "type"]

    /// The filter of the list and its export, or field messages for malformed dates.
    private func appointmentFilter(_ ctx: RequestContext, _ query: FormData) -> (AdminAppointmentFilter, [String: String]) {
        var errors: [String: String] = [:]
        var filter = AdminAppointmentFilter(clinicID: Self.filterID(query, "clinic"), doctorID: Self.filterID(query, "doctor"),
                                            patient: Self.filterText(query, "patient"),
                                            status: AppointmentStatus(rawValue: query.trimmed("status")),
                                            typeID: Self.filterID(query, "type"))
        switch Self.dateInput(query, "from") {
        case .date(let date): filter.fromDate = date
        case .invalid: errors["from"] = ctx.t("admin.field.date_invalid")
        case .none: break
        }
        switch Self.dateInput(query, "to") {
        case .date(let date): filter.toDate = date
        case .invalid: errors["to"] = ctx.t("admin.field.date_invalid")
        case .none: break
        }
        if let from = filter.fromDate, let to = filter.toDate, from > to { errors["to"] = ctx.t("admin.field.range_order") }
        return (filter, errors)
    }

    /// `/admin/appointments`: every appointment, filtered (dates in each clinic's zone, clinic, doctor,
    /// patient, status, type), sorted (`sort`, `dir`) and paged (`page`, 50 a page).
    func adminAppointments(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let (filter, errors) = appointmentFilter(ctx, query)
        let sort = AdminAppointmentSort(rawValue: query.trimmed("sort")) ?? .start
        let descending = query.trimmed("dir") != "asc" && !(query.trimmed("dir").isEmpty && sort != .start)
        let perPage = AdminLimits.appointmentsPerPage
        let (clinics, doctors, types) = try database.withConnection { db in
            (try statisticsStore.clinicChoices(on: db), try statisticsStore.doctorChoices(on: db), try statisticsStore.typeChoices(on: db))
        }
        var total = 0, page = 1
        var rows: [Appointment] = []
        if errors.isEmpty {
            total = try database.withConnection { db in try appointmentStore.adminCount(filter, on: db) }
            page = min(Self.pageNumber(query), max(1, (total + perPage - 1) / perPage))
            rows = try database.withConnection { db in
                try appointmentStore.adminList(filter, sort: sort, descending: descending, offset: (page - 1) * perPage, limit: perPage, on: db)
            }
        }
        let filterParameters = Self.appointmentFilterNames.map { ($0, String(query.trimmed($0).prefix(AdminLimits.filterText))) }
        let values = Dictionary(uniqueKeysWithValues: filterParameters)
        let sortParameters = [("sort", sort.rawValue), ("dir", descending ? "desc" : "asc")]
        func select(_ name: String, _ items: [(String, String)]) -> [[String: Any]] {
            [["value": "", "label": ctx.t("admin.filter.any"), "selected": values[name]!.isEmpty]]
                + items.map { ["value": $0.0, "label": $0.1, "selected": values[name] == $0.0] }
        }
        let columns = AdminAppointmentSort.allCases.map { column -> [String: Any] in
            // Clicking the sorted column flips its direction; another column starts ascending (start: newest first).
            let nextDescending = column == sort ? !descending : column == .start
            let active = column == sort
            return ["label": ctx.t("admin.appointments.column.\(column.rawValue)"),
                    "href": Routes.withQuery(Routes.adminAppointments, filterParameters + [("sort", column.rawValue), ("dir", nextDescending ? "desc" : "asc")]),
                    "ariaSort": active ? (descending ? "descending" : "ascending") : "none",
                    "indicator": active ? (descending ? "▼" : "▲") : ""]
        }
        return try adminPage(ctx, "admin_appointments", title: ctx.t("admin.appointments.title"), status: errors.isEmpty ? 200 : 422, [
            "action": Routes.adminAppointments, "values": values, "errors": errors, "hasErrors": !errors.isEmpty,
            "sort": sort.rawValue, "dir": descending ? "desc" : "asc",
            "clinics": select("clinic", clinics.map { (String($0.id), $0.name) }),
            "doctors": select("doctor", doctors.map { (String($0.id), $0.name) }),
            "types": select("type", types.map { (String($0.id), $0.name) }),
            "statuses": select("status", AppointmentStatus.allCases.map { ($0.rawValue, ctx.t("admin.status.\($0.rawValue)")) }),
            "columns": columns,
            "appointments": rows.map { appointment -> [String: Any] in
                let zone = Self.zone(of: appointment)
                return ["href": Routes.adminAppointment(appointment.id), "id": appointment.id,
                        "when": TimeFormatting.dateTime(appointment.startsAt, in: zone),
                        "zone": TimeFormatting.zoneName(zone, at: appointment.startsAt),
                        "patient": appointment.patientName, "doctor": appointment.doctorName, "clinic": appointment.clinicName,
                        "type": appointment.appointmentTypeName ?? ctx.t("admin.dashboard.no_type"),
                        "status": appointment.status.rawValue, "statusLabel": ctx.t("admin.status.\(appointment.status.rawValue)"),
                        "created": ISO8601DateFormatter().string(from: appointment.createdAt)]
            },
            "hasAppointments": !rows.isEmpty,
            "pager": pager(ctx, page: page, total: total, perPage: perPage) {
                Routes.withQuery(Routes.adminAppointments, filterParameters + sortParameters + [("page", String($0))])
            },
            "csvLink": Routes.withQuery(Routes.adminAppointmentsCSV, filterParameters),
        ])
    }

    static func zone(of appointment: Appointment) -> TimeZone {
        TimeZone(identifier: appointment.clinicTimeZone) ?? TimeZone(identifier: "UTC")!
    }

    // MARK: - Export

    /// The CSV columns of the appointment export.
    static let appointmentCSVColumns = ["id", "starts_at_local", "ends_at_local", "time_zone", "starts_at_utc", "status",
                                        "clinic", "doctor", "patient_id", "patient", "type", "reason", "cancel_reason",
                                        "cancelled_late", "source", "created_at_utc"]

    /// `/admin/appointments.csv`: the list's filtered appointments by start, streamed in keyset batches.
    /// Times are given in each clinic's zone (named per row) and in UTC. The export is audited.
    func adminAppointmentsCSV(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let (filter, errors) = appointmentFilter(ctx, query)
        guard errors.isEmpty else { throw AppError.badRequest }
        try recordExport(ctx, action: "appointments.exported", entity: "appointment", query: query, filters: Self.appointmentFilterNames)
        let database = self.database, store = appointmentStore
        let stamp = LocalDate.of(ctx.now, in: TimeZone(identifier: "UTC")!).iso
        return csvResponse(ctx, filename: "appointments-\(stamp).csv", header: Self.appointmentCSVColumns) { write in
            let local = DateFormatter()
            local.locale = Locale(identifier: "en_US_POSIX")
            local.dateFormat = "yyyy-MM-dd HH:mm"
            let utc = ISO8601DateFormatter()
            try store.adminExport(filter, pool: database) { batch in
                var bytes: [UInt8] = []
                for appointment in batch {
                    local.timeZone = Self.zone(of: appointment)
                    CSV.append([
                        String(appointment.id), local.string(from: appointment.startsAt), local.string(from: appointment.endsAt),
                        appointment.clinicTimeZone, utc.string(from: appointment.startsAt), appointment.status.rawValue,
                        appointment.clinicName, appointment.doctorName, String(appointment.patientID), appointment.patientName,
                        appointment.appointmentTypeName ?? "", appointment.reason, appointment.cancelReason ?? "",
                        appointment.cancelledLate ? "yes" : "no", appointment.source, utc.string(from: appointment.createdAt),
                    ], to: &bytes)
                }
                try write(bytes)
            }
        }
    }

    // MARK: - One appointment

    private func anyAppointment(_ ctx: RequestContext) throws -> Appointment {
        let id = try ctx.id()
        guard let appointment = try database.withConnection({ db in try appointmentStore.findForAdmin(id: id, on: db) }) else {
            throw AppError.notFound
        }
        return appointment
    }

    /// `/admin/appointments/{id}`: everything about one appointment and the moves an admin may make now.
    func adminAppointment(_ ctx: RequestContext) throws -> Response {
        try adminAppointmentPage(ctx, appointment: try anyAppointment(ctx), form: FormState(), status: 200)
    }

    private func adminAppointmentPage(_ ctx: RequestContext, appointment: Appointment, form: FormState, status: Int) throws -> Response {
        let zone = Self.zone(of: appointment)
        let allowed = allowedTransitions(from: appointment.status, by: .admin, appointmentStart: appointment.startsAt, now: ctx.now)
        let chosen = form.values["status"]
        return try adminPage(ctx, "admin_appointment", title: ctx.t("admin.appointment.title", ["id": String(appointment.id)]), status: status, [
            "appointment": [
                "id": appointment.id, "when": TimeFormatting.dateTime(appointment.startsAt, in: zone),
                "end": TimeFormatting.time(appointment.endsAt, in: zone),
                "zone": TimeFormatting.zoneName(zone, at: appointment.startsAt),
                "patient": appointment.patientName, "patientHref": Routes.adminUser(appointment.patientID),
                "doctor": appointment.doctorName, "clinic": appointment.clinicName,
                "type": appointment.appointmentTypeName ?? ctx.t("admin.dashboard.no_type"),
                "status": appointment.status.rawValue, "statusLabel": ctx.t("admin.status.\(appointment.status.rawValue)"),
                "reason": appointment.reason, "patientNotes": (appointment.patientNotes.isEmpty ? nil : appointment.patientNotes) as Any,
                "doctorNotes": (appointment.doctorNotes.isEmpty ? nil : appointment.doctorNotes) as Any,
                "cancelReason": appointment.cancelReason as Any, "cancelledLate": appointment.cancelledLate,
                "source": appointment.source, "version": appointment.version,
            ] as [String: Any],
            "transitions": allowed.map { ["value": $0.rawValue, "label": ctx.t("admin.status.\($0.rawValue)"), "selected": $0.rawValue == chosen] },
            "canChange": !allowed.isEmpty,
            "statusAction": Routes.adminAppointmentStatus(appointment.id),
            "form": form.context,
            "auditLink": Routes.withQuery(Routes.adminAudit, [("entity", "appointment"), ("entity_id", String(appointment.id))]),
            "back": Routes.adminAppointments,
        ])
    }

    /// POST `/admin/appointments/{id}/status` (`status`, `reason`, `version`): the doctor's rules with the
    /// admin's role (`checkTransition(…, by: .admin, …)`): forbidden moves and stale forms are a 409,
    /// a cancellation needs a reason (422 otherwise). Audited with old and new status and the reason.
    func adminChangeAppointmentStatus(_ ctx: RequestContext) throws -> Response {
        let appointment = try anyAppointment(ctx)
        if let invalid = try changeStatus(ctx, of: appointment, by: .admin, doctorID: nil) {
            return try adminAppointmentPage(ctx, appointment: appointment, form: invalid, status: 422)
        }
        return ctx.redirect(to: Routes.adminAppointment(appointment.id), flash: "admin.flash.status_changed")
    }
}
