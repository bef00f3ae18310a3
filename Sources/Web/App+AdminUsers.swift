import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Views


/// Schema limits of the doctor fields an admin may edit (Migrations/0002).
private enum DoctorFieldLimits {
    static let specialty = 100
    static let bio = 2000
}

extension App {
    // MARK: - List

    /// `/admin/users?q=&role=&active=&locked=&page=`: accounts by name, searched and filtered, 25 a page.
    func adminUsers(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let role = Role(rawValue: query.trimmed("role"))
        func yesNo(_ name: String) -> Bool? {
            switch query.trimmed(name) { case "yes": true; case "no": false; default: nil }
        }
        let filter = UserListFilter(search: Self.filterText(query, "q"), role: role, active: yesNo("active"),
                                    locked: yesNo("locked"), now: ctx.now)
        let perPage = AdminLimits.usersPerPage
        let total = try database.withConnection { db in try adminUserStore.count(filter, on: db) }
        let pages = max(1, (total + perPage - 1) / perPage)
        let page = min(Self.pageNumber(query), pages)
        let list = try database.withConnection { db in
            try adminUserStore.list(filter, offset: (page - 1) * perPage, limit: perPage, on: db)
        }
        let parameters = ["q", "role", "active", "locked"].map { ($0, String(query.trimmed($0).prefix(AdminLimits.filterText))) }
        let values = Dictionary(uniqueKeysWithValues: parameters)
        func options(_ name: String, _ choices: [(String, String)]) -> [[String: Any]] {
            [["value": "", "label": ctx.t("admin.filter.any"), "selected": values[name]!.isEmpty]]
                + choices.map { ["value": $0.0, "label": ctx.t($0.1), "selected": values[name] == $0.0] }
        }
        return try adminPage(ctx, "admin_users", title: ctx.t("admin.users.title"), [
            "action": Routes.adminUsers, "values": values,
            "roles": options("role", Role.allCases.map { ($0.rawValue, "admin.roles.\($0.rawValue)") }),
            "activeOptions": options("active", [("yes", "admin.users.active_yes"), ("no", "admin.users.active_no")]),
            "lockedOptions": options("locked", [("yes", "admin.users.locked_yes"), ("no", "admin.users.locked_no")]),
            "users": list.map { user -> [String: Any] in
                ["href": Routes.adminUser(user.id), "name": user.fullName, "email": user.email,
                 "role": ctx.t("admin.roles.\(user.role.rawValue)"), "active": user.active, "locked": user.isLocked(at: ctx.now)]
            },
            "hasUsers": !list.isEmpty,
            "pager": pager(ctx, page: page, total: total, perPage: perPage) { Routes.withQuery(Routes.adminUsers, parameters + [("page", String($0))]) },
            "newUser": Routes.adminNewUser, "newDoctor": Routes.adminNewDoctor,
        ])
    }

    // MARK: - Create

    /// `/admin/users/new`: the form creating a patient or admin (doctors have their own form with clinics).
    func showNewAccount(_ ctx: RequestContext) throws -> Response {
        try newAccountPage(ctx, form: FormState(values: ["role": Role.patient.rawValue]), status: 200)
    }

    private func newAccountPage(_ ctx: RequestContext, form: FormState, status: Int) throws -> Response {
        try adminPage(ctx, "admin_user_new", title: ctx.t("admin.user_new.title"), status: status, [
            "action": Routes.adminNewUser, "form": form.context, "newDoctor": Routes.adminNewDoctor,
            "roles": [Role.patient, .admin].map { ["value": $0.rawValue, "label": ctx.t("admin.roles.\($0.rawValue)"),
                                                   "selected": form.values["role"] == $0.rawValue] },
        ])
    }

    /// POST `/admin/users/new`: creates the account with a generated temporary password, shown once;
    /// the user must replace it at first sign-in. Invalid input is a 422 form and nothing is written.
    func createAccount(_ ctx: RequestContext) throws -> Response {
        let form = try ctx.form()
        var state = FormState()
        let role = Role(rawValue: form.trimmed("role"))
        let email = form.trimmed("email").lowercased()
        state.values = ["full_name": String(form.trimmed("full_name").prefix(AccountLimits.nameLength + 10)),
                        "email": String(email.prefix(AccountLimits.emailLength + 10)),
                        "phone": String(form.trimmed("phone").prefix(AccountLimits.phoneLength + 10)),
                        "date_of_birth": String(form.trimmed("date_of_birth").prefix(20)),
                        "role": role?.rawValue ?? ""]
        if role == nil || role == .doctor { state.errors["role"] = ctx.t("admin.field.role") }
        if !Self.isPlausibleEmail(email) { state.errors["email"] = ctx.t("field.email.invalid") }
        let (nameError, phoneError) = accountFieldErrors(ctx, name: form.trimmed("full_name"), phone: form.trimmed("phone"))
        state.errors["full_name"] = nameError
        state.errors["phone"] = phoneError
        var dateOfBirth: PostgresDate?
        if role == .patient {
            switch birthDate(ctx, form.trimmed("date_of_birth")) {
            case .success(let date): dateOfBirth = date
            case .failure: state.errors["date_of_birth"] = ctx.t("field.date_of_birth.invalid")
            }
        }
        guard state.errors.isEmpty, let role else { return try newAccountPage(ctx, form: state, status: 422) }

        let password = Self.temporaryPassword()
        let account = NewUser(role: role, email: email, passwordHash: try hasher.hash(password), fullName: form.trimmed("full_name"),
                              phone: form.trimmed("phone").isEmpty ? nil : form.trimmed("phone"), dateOfBirth: dateOfBirth,
                              mustChangePassword: true)
        let id: Int64
        do {
            id = try database.transaction { db in try users.create(account, actor: ctx.actor, audit: audit, on: db) }
        } catch PostgresError.uniqueViolation(constraint: "users_email_unique") {
            state.errors["email"] = ctx.t("field.email.taken")
            return try newAccountPage(ctx, form: state, status: 422)
        }
        return try passwordPage(ctx, heading: ctx.t("admin.user_created.heading"), name: account.fullName, email: email,
                                password: password, userID: id)
    }

    /// The one page that shows a temporary password; it is never stored in clear or shown again.
    private func passwordPage(_ ctx: RequestContext, heading: String, name: String, email: String, password: String,
                              userID: Int64) throws -> Response {
        try adminPage(ctx, "admin_user_password", title: heading, [
            "heading": heading, "name": name, "email": email, "password": password,
            "user": Routes.adminUser(userID), "users": Routes.adminUsers,
        ])
    }

    // MARK: - One account

    private func account(_ ctx: RequestContext) throws -> User {
        let id = try ctx.id()
        guard let user = try database.withConnection({ db in try users.find(id: id, on: db) }) else { throw AppError.notFound }
        return user
    }

    /// `/admin/users/{id}`: the account, its edit form and its actions.
    func adminUser(_ ctx: RequestContext) throws -> Response {
        let user = try account(ctx)
        let doctor = try database.withConnection { db in try adminUserStore.doctorFields(userID: user.id, on: db) }
        var values = ["full_name": user.fullName, "phone": user.phone ?? "", "date_of_birth": user.dateOfBirth?.description ?? ""]
        if let doctor {
            values["specialty"] = doctor.specialty
            values["bio"] = doctor.bio
        }
        return try accountPage(ctx, user: user, form: FormState(values: values), status: 200)
    }

    private func accountPage(_ ctx: RequestContext, user: User, form: FormState, status: Int) throws -> Response {
        let locked = user.isLocked(at: ctx.now)
        let isSelf = user.id == ctx.user?.id
        return try adminPage(ctx, "admin_user", title: ctx.t("admin.user.title", ["name": user.fullName]), status: status, [
            "account": [
                "name": user.fullName, "email": user.email, "role": ctx.t("admin.roles.\(user.role.rawValue)"),
                "active": user.active, "locked": locked, "failedLogins": user.failedLogins,
                "lockedUntil": user.lockedUntil.map { ISO8601DateFormatter().string(from: $0) } ?? "",
                "mustChange": user.mustChangePassword,
                "created": ISO8601DateFormatter().string(from: user.createdAt),
            ],
            "isPatient": user.role == .patient, "isDoctor": user.role == .doctor,
            "form": form.context, "action": Routes.adminUser(user.id),
            "deactivate": (user.active && !isSelf ? Routes.adminUserAction(user.id, .deactivate) : nil) as Any,
            "reactivate": (user.active ? nil : Routes.adminUserAction(user.id, .reactivate)) as Any,
            "resetPassword": (isSelf ? nil : Routes.adminUserAction(user.id, .resetPassword)) as Any,
            "unlock": (locked || user.failedLogins > 0 ? Routes.adminUserAction(user.id, .unlock) : nil) as Any,
            "auditLink": Routes.withQuery(Routes.adminAudit, [("entity", "user"), ("entity_id", String(user.id))]),
            "appointmentsLink": (user.role == .patient ? Routes.withQuery(Routes.adminAppointments, [("patient", String(user.id))]) : nil) as Any,
            "back": Routes.adminUsers,
        ])
    }

    /// POST `/admin/users/{id}`: name, phone, and the role's own fields (patients: date of birth;
    /// doctors: specialty and bio). Email and role stay, as they identify the account.
    func updateAccount(_ ctx: RequestContext) throws -> Response {
        let user = try account(ctx)
        let form = try ctx.form()
        var state = FormState()
        let name = form.trimmed("full_name"), phone = form.trimmed("phone")
        state.values = ["full_name": String(name.prefix(AccountLimits.nameLength + 10)),
                        "phone": String(phone.prefix(AccountLimits.phoneLength + 10)),
                        "date_of_birth": String(form.trimmed("date_of_birth").prefix(20)),
                        "specialty": String(form.trimmed("specialty").prefix(DoctorFieldLimits.specialty + 10)),
                        "bio": String(form.trimmed("bio").prefix(DoctorFieldLimits.bio + 10))]
        let (nameError, phoneError) = accountFieldErrors(ctx, name: name, phone: phone)
        state.errors["full_name"] = nameError
        state.errors["phone"] = phoneError
        var edit = AccountEdit(fullName: name, phone: phone.isEmpty ? nil : phone)
        if user.role == .patient {
            switch birthDate(ctx, form.trimmed("date_of_birth")) {
            case .success(let date): edit.dateOfBirth = date
            case .failure: state.errors["date_of_birth"] = ctx.t("field.date_of_birth.invalid")
            }
        }
        if user.role == .doctor {
            let specialty = form.trimmed("specialty"), bio = form.trimmed("bio")
            if specialty.isEmpty { state.errors["specialty"] = ctx.t("admin.field.required") }
            else if specialty.count > DoctorFieldLimits.specialty {
                state.errors["specialty"] = ctx.t("admin.field.too_long", ["max": String(DoctorFieldLimits.specialty)])
            }
            if bio.count > DoctorFieldLimits.bio { state.errors["bio"] = ctx.t("admin.field.too_long", ["max": String(DoctorFieldLimits.bio)]) }
            edit.doctor = DoctorFields(specialty: specialty, bio: bio)
        }
        guard state.errors.isEmpty else { return try accountPage(ctx, user: user, form: state, status: 422) }
        try database.transaction { db in
            guard try adminUserStore.update(userID: user.id, edit, on: db) else { throw AppError.notFound }
            var changed: [String] = []
            if edit.fullName != user.fullName { changed.append("full_name") }
            if edit.phone != user.phone { changed.append("phone") }
            if user.role == .patient, edit.dateOfBirth != user.dateOfBirth { changed.append("date_of_birth") }
            if user.role == .doctor { changed.append("doctor_profile") }
            try audit.record(actor: ctx.actor, action: "user.updated", entity: "user", entityID: String(user.id),
                             details: ["fields": changed.joined(separator: ",")], on: db)
        }
        return ctx.redirect(to: Routes.adminUser(user.id), flash: "admin.flash.user_saved")
    }

    /// POST `/admin/users/{id}/{deactivate|reactivate|reset-password|unlock}`: one audited state change.
    ///
    /// Deactivation ends the account's sessions in the same transaction (`UserStore.setActive`) and keeps
    /// its appointments; an admin cannot deactivate or reset themselves (they would lock themselves out).
    func accountAction(_ ctx: RequestContext, _ action: AdminUserAction) throws -> Response {
        let user = try account(ctx)
        let isSelf = user.id == ctx.user?.id
        switch action {
        case .deactivate, .reactivate:
            if isSelf { throw AppError.conflict(messageKey: "admin.conflict.self") }
            let active = action == .reactivate
            try database.transaction { db in
                try users.setActive(userID: user.id, active: active, on: db)
                try audit.record(actor: ctx.actor, action: active ? "user.reactivated" : "user.deactivated",
                                 entity: "user", entityID: String(user.id), on: db)
            }
            return ctx.redirect(to: Routes.adminUser(user.id), flash: active ? "admin.flash.reactivated" : "admin.flash.deactivated")
        case .unlock:
            try database.transaction { db in
                try users.unlock(userID: user.id, on: db)
                try audit.record(actor: ctx.actor, action: "user.unlocked", entity: "user", entityID: String(user.id), on: db)
            }
            return ctx.redirect(to: Routes.adminUser(user.id), flash: "admin.flash.unlocked")
        case .resetPassword:
            if isSelf { throw AppError.conflict(messageKey: "admin.conflict.self") }
            let password = Self.temporaryPassword()
            let hash = try hasher.hash(password)
            try database.transaction { db in
                try adminUserStore.resetPassword(userID: user.id, temporaryHash: hash, on: db)
                try audit.record(actor: ctx.actor, action: "user.password_reset", entity: "user", entityID: String(user.id), on: db)
            }
            return try passwordPage(ctx, heading: ctx.t("admin.user_reset.heading"), name: user.fullName, email: user.email,
                                    password: password, userID: user.id)
        }
    }

    // MARK: - Validation

    private func accountFieldErrors(_ ctx: RequestContext, name: String, phone: String) -> (String?, String?) {
        var nameError: String?, phoneError: String?
        if name.isEmpty { nameError = ctx.t("field.full_name.required") }
        else if name.count > AccountLimits.nameLength || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            nameError = ctx.t("field.full_name.invalid", ["max": String(AccountLimits.nameLength)])
        }
        if !phone.isEmpty, phone.count > AccountLimits.phoneLength
            || !phone.allSatisfy({ $0.isNumber || " +-()./".contains($0) }) || phone.filter(\.isNumber).count < 4 {
            phoneError = ctx.t("field.phone.invalid")
        }
        return (nameError, phoneError)
    }

    private struct InvalidDate: Error {}

    /// An optional date of birth: empty is fine; otherwise a real date in the past, from 1900 on.
    private func birthDate(_ ctx: RequestContext, _ text: String) -> Result<PostgresDate?, InvalidDate> {
        if text.isEmpty { return .success(nil) }
        guard let date = LocalDate(iso: text), date.year >= 1900, date < LocalDate.of(ctx.now, in: TimeZone(identifier: "UTC")!) else {
            return .failure(InvalidDate())
        }
        return .success(PostgresDate(year: date.year, month: date.month, day: date.day))
    }
}
