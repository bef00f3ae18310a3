import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Views


/// Limits of the practice forms, matching the schema's CHECKs.
private enum PracticeLimits {
    static let clinicName = 200
    static let address = 500
    static let phone = 40
    static let zone = 64
    static let typeName = 100
    static let typeMaxMinutes = 480
    static let specialty = 100
    static let bio = 2000
}

extension App {
    /// The sub-navigation of the admin's practice pages.
    private func practiceLinks(_ ctx: RequestContext) -> [[String: String]] {
        [[Routes.adminClinics, "avail.admin.nav.clinics"], [Routes.adminSettings, "avail.admin.nav.settings"],
         [Routes.adminAppointmentTypes, "avail.admin.nav.types"], [Routes.adminNewDoctor, "avail.admin.nav.new_doctor"]].map { pair in
            var link = ["href": pair[0], "label": ctx.t(pair[1])]
            if ctx.request.path == pair[0] { link["current"] = "page" }
            return link
        }
    }

    // MARK: - Clinics

    /// `/admin/clinics`: every clinic, and the form to add one.
    func adminClinics(_ ctx: RequestContext) throws -> Response {
        try clinicsPage(ctx, form: FormState(values: policyValues(ClinicPolicy())), status: 200)
    }

    private func clinicsPage(_ ctx: RequestContext, form: FormState, status: Int) throws -> Response {
        let clinics = try database.withConnection { db in try self.clinics.all(on: db) }
        return try ctx.page("admin_clinics", title: ctx.t("avail.clinics.title"), status: status, [
            "links": practiceLinks(ctx),
            "clinics": clinics.map { clinic -> [String: Any] in
                ["name": clinic.details.name, "address": clinic.details.address, "phone": clinic.details.phone,
                 "timezone": clinic.details.timeZone, "edit": Routes.adminClinic(clinic.id),
                 "policy": Routes.adminSettings(clinic: clinic.id),
                 "startsAs": ctx.t(clinic.policy.portalBookingsStartConfirmed ? "avail.status.confirmed" : "avail.status.pending")]
            },
            "hasClinics": !clinics.isEmpty,
            "form": form.context, "action": Routes.adminClinics,
        ])
    }

    /// POST `/admin/clinics`: adds a clinic; invalid input is a 422 form and nothing is written.
    func createClinic(_ ctx: RequestContext) throws -> Response {
        var (state, details, policy) = readClinicForm(ctx, try ctx.form())
        if let details, let policy {
            do {
                try database.transaction { db in
                    let id = try clinics.create(details, policy: policy, on: db)
                    try audit.record(actor: ctx.actor, action: "clinic.created", entity: "clinic", entityID: String(id),
                                     details: auditDetails(details, policy), on: db)
                }
                return ctx.redirect(to: Routes.adminClinics, flash: "avail.flash.clinic_saved")
            } catch PostgresError.uniqueViolation(constraint: "clinics_name_unique") {
                state.errors["name"] = ctx.t("avail.field.name_taken")
            } catch PostgresError.checkViolation {
                state.errors["name"] = ctx.t("avail.field.out_of_range")
            }
        }
        return try clinicsPage(ctx, form: state, status: 422)
    }

    /// `/admin/clinics/{id}`: the edit form of one clinic.
    func adminClinic(_ ctx: RequestContext) throws -> Response {
        let clinic = try findClinic(ctx)
        var values = policyValues(clinic.policy)
        values["name"] = clinic.details.name
        values["address"] = clinic.details.address
        values["phone"] = clinic.details.phone
        values["timezone"] = clinic.details.timeZone
        return try clinicEditPage(ctx, clinic: clinic, form: FormState(values: values), status: 200)
    }

    private func findClinic(_ ctx: RequestContext) throws -> Clinic {
        let id = try ctx.id()
        guard let clinic = try database.withConnection({ db in try clinics.find(id: id, on: db) }) else { throw AppError.notFound }
        return clinic
    }

    private func clinicEditPage(_ ctx: RequestContext, clinic: Clinic, form: FormState, status: Int) throws -> Response {
        try ctx.page("admin_clinic_edit", title: ctx.t("avail.clinic_edit.title"), status: status, [
            "links": practiceLinks(ctx), "name": clinic.details.name,
            "form": form.context, "action": Routes.adminClinic(clinic.id), "back": Routes.adminClinics,
        ])
    }

    /// POST `/admin/clinics/{id}`: saves a clinic's details and policy.
    func updateClinic(_ ctx: RequestContext) throws -> Response {
        let clinic = try findClinic(ctx)
        var (state, details, policy) = readClinicForm(ctx, try ctx.form())
        if let details, let policy {
            do {
                try database.transaction { db in
                    guard try clinics.update(id: clinic.id, details, policy: policy, on: db) else { throw AppError.notFound }
                    var changes = auditDetails(details, policy)
                    changes["previous_timezone"] = clinic.details.timeZone
                    changes["previous_name"] = clinic.details.name
                    try audit.record(actor: ctx.actor, action: "clinic.updated", entity: "clinic", entityID: String(clinic.id),
                                     details: changes, on: db)
                }
                return ctx.redirect(to: Routes.adminClinics, flash: "avail.flash.clinic_saved")
            } catch PostgresError.uniqueViolation(constraint: "clinics_name_unique") {
                state.errors["name"] = ctx.t("avail.field.name_taken")
            } catch PostgresError.checkViolation {
                state.errors["name"] = ctx.t("avail.field.out_of_range")
            }
        }
        return try clinicEditPage(ctx, clinic: clinic, form: state, status: 422)
    }

    /// Reads the clinic form: details and policy, or nil with a message beside each bad field.
    private func readClinicForm(_ ctx: RequestContext, _ form: FormData) -> (FormState, ClinicDetails?, ClinicPolicy?) {
        var (state, policy) = readPolicyForm(ctx, form)
        let name = form.trimmed("name"), address = form.trimmed("address"), phone = form.trimmed("phone")
        let zone = form.trimmed("timezone")
        state.values["name"] = String(name.prefix(PracticeLimits.clinicName + 10))
        state.values["address"] = String(address.prefix(PracticeLimits.address + 10))
        state.values["phone"] = String(phone.prefix(PracticeLimits.phone + 10))
        state.values["timezone"] = String(zone.prefix(PracticeLimits.zone + 10))
        if name.isEmpty { state.errors["name"] = ctx.t("avail.field.required") }
        else if name.count > PracticeLimits.clinicName { state.errors["name"] = ctx.t("avail.field.too_long", ["max": String(PracticeLimits.clinicName)]) }
        if address.count > PracticeLimits.address { state.errors["address"] = ctx.t("avail.field.too_long", ["max": String(PracticeLimits.address)]) }
        if phone.count > PracticeLimits.phone { state.errors["phone"] = ctx.t("avail.field.too_long", ["max": String(PracticeLimits.phone)]) }
        // An IANA name Foundation knows; TimeZone(identifier:) alone also takes offsets such as "GMT+2", which are not places.
        if zone.count > PracticeLimits.zone || TimeZone(identifier: zone) == nil || !TimeZone.knownTimeZoneIdentifiers.contains(zone) {
            state.errors["timezone"] = ctx.t("avail.field.timezone")
        }
        guard state.errors.isEmpty, let policy else { return (state, nil, nil) }
        return (state, ClinicDetails(name: name, address: address, phone: phone, timeZone: zone), policy)
    }

    /// Reads the policy fields shared by the clinic and settings forms, validated by `ClinicPolicy.validate()`.
    private func readPolicyForm(_ ctx: RequestContext, _ form: FormData) -> (FormState, ClinicPolicy?) {
        var state = FormState()
        var numbers: [String: Int] = [:]
        for name in ["buffer_minutes", "minimum_lead_minutes", "horizon_days", "late_cancel_hours", "max_open_bookings"] {
            state.values[name] = String(form.trimmed(name).prefix(12))
            if let value = form.wholeNumber(name) { numbers[name] = value } else { state.errors[name] = ctx.t("avail.field.number") }
        }
        let allowLate = form["allow_late_cancel"] == "1", startConfirmed = form["bookings_start_confirmed"] == "1"
        if allowLate { state.values["allow_late_cancel"] = "1" }
        if startConfirmed { state.values["bookings_start_confirmed"] = "1" }
        guard state.errors.isEmpty else { return (state, nil) }
        let policy = ClinicPolicy(bufferMinutes: numbers["buffer_minutes"]!, minimumLeadMinutes: numbers["minimum_lead_minutes"]!,
                                  horizonDays: numbers["horizon_days"]!, lateCancelHours: numbers["late_cancel_hours"]!,
                                  portalBookingsStartConfirmed: startConfirmed, allowLateCancellation: allowLate,
                                  maxOpenBookingsPerPatient: numbers["max_open_bookings"]!)
        for problem in policy.validate() {
            switch problem {
            case .bufferMinutesOutOfRange(let range), .minimumLeadMinutesOutOfRange(let range), .horizonDaysOutOfRange(let range),
                 .lateCancelHoursOutOfRange(let range), .maxOpenBookingsOutOfRange(let range):
                state.errors[problem.field] = ctx.t("avail.field.range", ["min": String(range.lowerBound), "max": String(range.upperBound)])
            }
        }
        return (state, state.errors.isEmpty ? policy : nil)
    }

    private func policyValues(_ policy: ClinicPolicy) -> [String: String] {
        var values = ["buffer_minutes": String(policy.bufferMinutes), "minimum_lead_minutes": String(policy.minimumLeadMinutes),
                      "horizon_days": String(policy.horizonDays), "late_cancel_hours": String(policy.lateCancelHours),
                      "max_open_bookings": String(policy.maxOpenBookingsPerPatient)]
        if policy.allowLateCancellation { values["allow_late_cancel"] = "1" }
        if policy.portalBookingsStartConfirmed { values["bookings_start_confirmed"] = "1" }
        return values
    }

    private func auditDetails(_ details: ClinicDetails, _ policy: ClinicPolicy) -> [String: String] {
        ["name": details.name, "timezone": details.timeZone].merging(policyAudit(policy)) { a, _ in a }
    }

    private func policyAudit(_ policy: ClinicPolicy) -> [String: String] {
        policyValues(policy).merging(["allow_late_cancel": String(policy.allowLateCancellation),
                                      "bookings_start_confirmed": String(policy.portalBookingsStartConfirmed)]) { _, new in new }
    }

    // MARK: - Settings (a clinic's booking policy)

    /// `/admin/settings?clinic=ID`: the booking policy of one clinic (the first when none is named).
    func adminSettings(_ ctx: RequestContext) throws -> Response {
        let all = try database.withConnection { db in try clinics.all(on: db) }
        let chosen = try ctx.query()["clinic"].flatMap { Int64($0) }
        let clinic = all.first { $0.id == chosen } ?? all.first
        return try settingsPage(ctx, clinics: all, clinic: clinic, form: FormState(values: clinic.map { policyValues($0.policy) } ?? [:]),
                                status: 200)
    }

    private func settingsPage(_ ctx: RequestContext, clinics: [Clinic], clinic: Clinic?, form: FormState, status: Int) throws -> Response {
        var values: [String: Any] = [
            "links": practiceLinks(ctx),
            "clinics": clinics.map { ["value": String($0.id), "label": $0.details.name, "selected": $0.id == clinic?.id] },
            "form": form.context, "action": Routes.adminSettings, "newClinic": Routes.adminClinics,
        ]
        if let clinic { values["clinic"] = ["id": String(clinic.id), "name": clinic.details.name, "timezone": clinic.details.timeZone] }
        return try ctx.page("admin_settings", title: ctx.t("avail.settings.title"), status: status, values)
    }

    /// POST `/admin/settings` (`clinic_id` and the policy fields): saves one clinic's booking policy.
    func updateSettings(_ ctx: RequestContext) throws -> Response {
        let form = try ctx.form()
        let all = try database.withConnection { db in try clinics.all(on: db) }
        guard let id = Int64(form.trimmed("clinic_id")), let clinic = all.first(where: { $0.id == id }) else { throw AppError.notFound }
        let (state, policy) = readPolicyForm(ctx, form)
        guard let policy else { return try settingsPage(ctx, clinics: all, clinic: clinic, form: state, status: 422) }
        try database.transaction { db in
            guard try clinics.updatePolicy(id: clinic.id, policy, on: db) else { throw AppError.notFound }
            var details = policyAudit(policy)
            for (key, value) in policyAudit(clinic.policy) where details[key] != value { details["previous_" + key] = value }
            try audit.record(actor: ctx.actor, action: "clinic.policy_updated", entity: "clinic", entityID: String(clinic.id),
                             details: details, on: db)
        }
        return ctx.redirect(to: Routes.adminSettings(clinic: clinic.id), flash: "avail.flash.settings_saved")
    }

    // MARK: - Appointment types

    /// `/admin/appointment-types`: every type, and the form to add one.
    func adminAppointmentTypes(_ ctx: RequestContext) throws -> Response {
        try typesPage(ctx, form: FormState(values: ["default_minutes": "20", "min_minutes": "10", "max_minutes": "40", "bookable_online": "1"]),
                      status: 200)
    }

    private func typesPage(_ ctx: RequestContext, form: FormState, status: Int) throws -> Response {
        let types = try database.withConnection { db in try practiceStore.appointmentTypes(on: db) }
        return try ctx.page("admin_types", title: ctx.t("avail.types.title"), status: status, [
            "links": practiceLinks(ctx),
            "types": types.map { type -> [String: Any] in
                ["name": type.fields.name, "default": type.fields.defaultMinutes, "min": type.fields.minMinutes,
                 "max": type.fields.maxMinutes, "online": ctx.t(type.fields.bookableOnline ? "avail.yes" : "avail.no"),
                 "edit": Routes.adminAppointmentType(type.id)]
            },
            "hasTypes": !types.isEmpty, "form": form.context, "action": Routes.adminAppointmentTypes,
        ])
    }

    /// POST `/admin/appointment-types`: adds a type.
    func createAppointmentType(_ ctx: RequestContext) throws -> Response {
        var (state, fields) = readTypeForm(ctx, try ctx.form())
        if let fields {
            do {
                try database.transaction { db in
                    let id = try practiceStore.createAppointmentType(fields, on: db)
                    try audit.record(actor: ctx.actor, action: "appointment_type.created", entity: "appointment_type",
                                     entityID: String(id), details: typeAudit(fields), on: db)
                }
                return ctx.redirect(to: Routes.adminAppointmentTypes, flash: "avail.flash.type_saved")
            } catch PostgresError.uniqueViolation(constraint: "appointment_types_name_unique") {
                state.errors["name"] = ctx.t("avail.field.name_taken")
            } catch PostgresError.checkViolation {
                state.errors["default_minutes"] = ctx.t("avail.field.minutes_order")
            }
        }
        return try typesPage(ctx, form: state, status: 422)
    }

    /// `/admin/appointment-types/{id}`: the edit form of one type.
    func adminAppointmentType(_ ctx: RequestContext) throws -> Response {
        let type = try findType(ctx)
        var values = ["name": type.fields.name, "default_minutes": String(type.fields.defaultMinutes),
                      "min_minutes": String(type.fields.minMinutes), "max_minutes": String(type.fields.maxMinutes)]
        if type.fields.bookableOnline { values["bookable_online"] = "1" }
        return try typeEditPage(ctx, type: type, form: FormState(values: values), status: 200)
    }

    private func findType(_ ctx: RequestContext) throws -> AppointmentType {
        let id = try ctx.id()
        guard let type = try database.withConnection({ db in try practiceStore.appointmentType(id: id, on: db) }) else { throw AppError.notFound }
        return type
    }

    private func typeEditPage(_ ctx: RequestContext, type: AppointmentType, form: FormState, status: Int) throws -> Response {
        try ctx.page("admin_types_edit", title: ctx.t("avail.type_edit.title"), status: status, [
            "links": practiceLinks(ctx), "name": type.fields.name,
            "form": form.context, "action": Routes.adminAppointmentType(type.id), "back": Routes.adminAppointmentTypes,
        ])
    }

    /// POST `/admin/appointment-types/{id}`: saves a type.
    func updateAppointmentType(_ ctx: RequestContext) throws -> Response {
        let type = try findType(ctx)
        var (state, fields) = readTypeForm(ctx, try ctx.form())
        if let fields {
            do {
                try database.transaction { db in
                    guard try practiceStore.updateAppointmentType(id: type.id, fields, on: db) else { throw AppError.notFound }
                    var details = typeAudit(fields)
                    details["previous_name"] = type.fields.name
                    try audit.record(actor: ctx.actor, action: "appointment_type.updated", entity: "appointment_type",
                                     entityID: String(type.id), details: details, on: db)
                }
                return ctx.redirect(to: Routes.adminAppointmentTypes, flash: "avail.flash.type_saved")
            } catch PostgresError.uniqueViolation(constraint: "appointment_types_name_unique") {
                state.errors["name"] = ctx.t("avail.field.name_taken")
            } catch PostgresError.checkViolation {
                state.errors["default_minutes"] = ctx.t("avail.field.minutes_order")
            }
        }
        return try typeEditPage(ctx, type: type, form: state, status: 422)
    }

    private func readTypeForm(_ ctx: RequestContext, _ form: FormData) -> (FormState, AppointmentTypeFields?) {
        var state = FormState()
        let name = form.trimmed("name")
        state.values["name"] = String(name.prefix(PracticeLimits.typeName + 10))
        if name.isEmpty { state.errors["name"] = ctx.t("avail.field.required") }
        else if name.count > PracticeLimits.typeName { state.errors["name"] = ctx.t("avail.field.too_long", ["max": String(PracticeLimits.typeName)]) }
        var minutes: [String: Int] = [:]
        for field in ["default_minutes", "min_minutes", "max_minutes"] {
            state.values[field] = String(form.trimmed(field).prefix(12))
            if let value = form.wholeNumber(field), (1...PracticeLimits.typeMaxMinutes).contains(value) {
                minutes[field] = value
            } else {
                state.errors[field] = ctx.t("avail.field.range", ["min": "1", "max": String(PracticeLimits.typeMaxMinutes)])
            }
        }
        let online = form["bookable_online"] == "1"
        if online { state.values["bookable_online"] = "1" }
        if let lowest = minutes["min_minutes"], let usual = minutes["default_minutes"], let highest = minutes["max_minutes"],
           !(lowest <= usual && usual <= highest) {
            state.errors["default_minutes"] = ctx.t("avail.field.minutes_order")
        }
        guard state.errors.isEmpty else { return (state, nil) }
        return (state, AppointmentTypeFields(name: name, defaultMinutes: minutes["default_minutes"]!, minMinutes: minutes["min_minutes"]!,
                                             maxMinutes: minutes["max_minutes"]!, bookableOnline: online))
    }

    private func typeAudit(_ fields: AppointmentTypeFields) -> [String: String] {
        ["name": fields.name, "default_minutes": String(fields.defaultMinutes), "min_minutes": String(fields.minMinutes),
         "max_minutes": String(fields.maxMinutes), "bookable_online": String(fields.bookableOnline)]
    }

    // MARK: - Doctors

    /// `/admin/doctors/new`: the form that creates a doctor account.
    func showNewDoctor(_ ctx: RequestContext) throws -> Response {
        try newDoctorPage(ctx, form: FormState(), chosen: [], status: 200)
    }

    private func newDoctorPage(_ ctx: RequestContext, form: FormState, chosen: Set<String>, status: Int) throws -> Response {
        let all = try database.withConnection { db in try clinics.all(on: db) }
        return try ctx.page("admin_doctor_new", title: ctx.t("avail.doctor_new.title"), status: status, [
            "links": practiceLinks(ctx),
            "clinics": all.map { ["value": String($0.id), "label": $0.details.name, "checked": chosen.contains(String($0.id))] },
            "hasClinics": !all.isEmpty, "newClinic": Routes.adminClinics,
            "form": form.context, "action": Routes.adminNewDoctor,
        ])
    }

    /// POST `/admin/doctors/new`: creates the account with a temporary password, shown once on the answer page;
    /// the doctor must replace it at first sign-in (`must_change_password`, enforced for every route by `App`).
    func createDoctor(_ ctx: RequestContext) throws -> Response {
        let form = try ctx.form()
        var state = FormState()
        let name = form.trimmed("full_name"), email = form.trimmed("email").lowercased()
        let specialty = form.trimmed("specialty"), bio = form.trimmed("bio")
        state.values = ["full_name": String(name.prefix(AccountLimits.nameLength + 10)), "email": String(email.prefix(AccountLimits.emailLength + 10)),
                        "specialty": String(specialty.prefix(PracticeLimits.specialty + 10)), "bio": String(bio.prefix(PracticeLimits.bio + 10))]
        if name.isEmpty { state.errors["full_name"] = ctx.t("field.full_name.required") }
        else if name.count > AccountLimits.nameLength || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            state.errors["full_name"] = ctx.t("field.full_name.invalid", ["max": String(AccountLimits.nameLength)])
        }
        if !Self.isPlausibleEmail(email) { state.errors["email"] = ctx.t("field.email.invalid") }
        if specialty.isEmpty { state.errors["specialty"] = ctx.t("avail.field.required") }
        else if specialty.count > PracticeLimits.specialty { state.errors["specialty"] = ctx.t("avail.field.too_long", ["max": String(PracticeLimits.specialty)]) }
        if bio.count > PracticeLimits.bio { state.errors["bio"] = ctx.t("avail.field.too_long", ["max": String(PracticeLimits.bio)]) }
        let all = try database.withConnection { db in try clinics.all(on: db) }
        let chosen = Set(form.all("clinics"))
        let clinicIDs = all.filter { chosen.contains(String($0.id)) }.map(\.id)
        if clinicIDs.isEmpty || clinicIDs.count != chosen.count { state.errors["clinics"] = ctx.t("avail.field.clinics") }
        guard state.errors.isEmpty else { return try newDoctorPage(ctx, form: state, chosen: chosen, status: 422) }

        let password = Self.temporaryPassword()
        let hash = try hasher.hash(password)
        let doctor = NewDoctor(fullName: name, email: email, passwordHash: hash, specialty: specialty, bio: bio, clinicIDs: clinicIDs)
        do {
            _ = try database.transaction { db in try practiceStore.createDoctor(doctor, actor: ctx.actor, audit: audit, on: db) }
        } catch PostgresError.uniqueViolation(constraint: "users_email_unique") {
            state.errors["email"] = ctx.t("field.email.taken")
            return try newDoctorPage(ctx, form: state, chosen: chosen, status: 422)
        }
        return try ctx.page("admin_doctor_created", title: ctx.t("avail.doctor_created.title"), [
            "links": practiceLinks(ctx), "name": name, "email": email, "password": password,
            "another": Routes.adminNewDoctor,
        ])
    }

    /// 20 random characters from an alphabet without look-alikes (about 98 bits), grouped for reading aloud.
    static func temporaryPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return stride(from: 0, to: 20, by: 5).map { String(characters[$0..<$0 + 5]) }.joined(separator: "-")
    }
}
