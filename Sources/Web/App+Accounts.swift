import Foundation
import HTTPServer
import Passwords
import Postgres
import Scheduling
import Storage

/// Field limits shared by every account form.
enum AccountLimits {
    static let nameLength = 200
    static let emailLength = 254
    static let phoneLength = 40
}

extension App {
    // MARK: - Sign in

    func showLogin(_ ctx: RequestContext) throws -> Response {
        if let user = ctx.user { return ctx.redirect(to: Routes.home(for: user.role)) }
        let next = try ctx.query()["next"].flatMap(Self.localPath) ?? ""
        return try loginPage(ctx, email: "", next: next, error: nil, status: 200)
    }

    private func loginPage(_ ctx: RequestContext, email: String, next: String, error: String?, status: Int) throws -> Response {
        try ctx.page("login", title: ctx.t("login.title"), status: status,
                     ["email": email, "next": next, "error": error as Any])
    }

    /// Signs in. Unknown email, wrong password and a locked account give one message after the
    /// same argon2 work, so neither timing nor wording reveals which accounts exist.
    func login(_ ctx: RequestContext) throws -> Response {
        let form = try ctx.form()
        let email = String(form.trimmed("email").prefix(AccountLimits.emailLength))
        let password = form["password"] ?? ""
        let next = form["next"].flatMap(Self.localPath) ?? ""
        let ip = ctx.request.remoteAddress
        let invalid = ctx.t("login.invalid")
        // In a login storm refuse at once, before any database work, so page views keep their share.
        if hasher.isSaturated { throw PasswordHashingError.busy }

        if try database.withConnection({ db in try throttle.isBlocked(ip: ip, now: ctx.now, on: db) }) {
            try database.withConnection { db in
                try audit.record(actor: ctx.actor, action: "auth.throttled", entity: "ip", entityID: ip, on: db)
            }
            return try loginPage(ctx, email: email, next: next, error: ctx.t("login.throttled"), status: 429)
        }
        guard password.utf8.count <= passwordPolicy.maximumLength * 4 else {
            return try loginPage(ctx, email: email, next: next, error: invalid, status: 422)
        }

        let user = try database.withConnection { db in try users.find(email: email, on: db) }
        let verified: Bool
        if let user, user.active, !user.isLocked(at: ctx.now) {
            verified = try hasher.verify(password, against: user.passwordHash)
        } else {
            try hasher.verifyDummy(password)
            verified = false
        }

        guard verified, let user else {
            try database.transaction { db in
                var details = ["email": email]
                if let user {
                    details["reason"] = !user.active ? "inactive" : user.isLocked(at: ctx.now) ? "locked" : "password"
                    if user.active, !user.isLocked(at: ctx.now), try users.recordFailedLogin(userID: user.id, now: ctx.now, on: db) {
                        try audit.record(actor: ctx.actor, action: "auth.locked", entity: "user", entityID: String(user.id), on: db)
                    }
                } else {
                    details["reason"] = "unknown_email"
                }
                try audit.record(actor: ctx.actor, action: "auth.login_failed", entity: "user",
                                 entityID: user.map { String($0.id) } ?? "", details: details, on: db)
                if try throttle.recordFailure(ip: ip, now: ctx.now, on: db) {
                    try audit.record(actor: ctx.actor, action: "auth.throttled", entity: "ip", entityID: ip, on: db)
                }
            }
            return try loginPage(ctx, email: email, next: next, error: invalid, status: 422)
        }

        let rehash = hasher.needsRehash(user.passwordHash) ? try hasher.hash(password) : nil
        let token = App.randomToken()
        try database.transaction { db in
            try users.recordSuccessfulLogin(userID: user.id, on: db)
            try throttle.reset(ip: ip, on: db)
            if let rehash { try users.setPasswordHash(userID: user.id, hash: rehash, mustChange: user.mustChangePassword, on: db) }
            // A new token at every sign-in: a token planted before login is worthless (no fixation).
            try sessions.create(token: token, csrfSecret: App.randomToken(), userID: user.id, ip: ip,
                                userAgent: ctx.request.headers["user-agent"] ?? "", now: ctx.now, on: db)
            try audit.record(actor: Actor(userID: user.id, role: user.role.rawValue, ip: ip), action: "auth.login",
                             entity: "user", entityID: String(user.id), on: db)
        }
        ctx.cookies.append(Cookie(name: cookieNames.session, value: token, maxAge: nil, secure: settings.secureCookies))
        if user.mustChangePassword {
            return ctx.redirect(to: Routes.profile(for: user.role), flash: "flash.must_change_password")
        }
        return ctx.redirect(to: next.isEmpty ? Routes.home(for: user.role) : next)
    }

    func logout(_ ctx: RequestContext) throws -> Response {
        if let session = ctx.session {
            try database.transaction { db in
                try sessions.delete(tokenHash: session.tokenHash, on: db)
                try audit.record(actor: ctx.actor, action: "auth.logout", entity: "user", entityID: String(session.user.id), on: db)
            }
        }
        ctx.cookies.append(.expired(cookieNames.session, secure: settings.secureCookies))
        return ctx.redirect(to: Routes.home, flash: "flash.signed_out")
    }

    /// Accepts only same-site paths for `next=`: "/x" but not "//host", "/\host" or "https://…" (no open redirect).
    static func localPath(_ candidate: String) -> String? {
        guard candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"), candidate.count <= 2000,
              !candidate.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == "\\" })
        else { return nil }
        return candidate
    }

    // MARK: - Registration

    func showRegister(_ ctx: RequestContext) throws -> Response {
        if let user = ctx.user { return ctx.redirect(to: Routes.home(for: user.role)) }
        return try ctx.page("register", title: ctx.t("register.title"), ["values": [String: String](), "errors": [String: String]()])
    }

    func register(_ ctx: RequestContext) throws -> Response {
        let form = try ctx.form()
        var values = [
            "full_name": form.trimmed("full_name"), "email": form.trimmed("email").lowercased(),
            "phone": form.trimmed("phone"), "date_of_birth": form.trimmed("date_of_birth"),
        ]
        var errors = validateProfile(ctx, name: values["full_name"]!, phone: values["phone"]!)
        let email = values["email"]!
        if !Self.isPlausibleEmail(email) { errors["email"] = ctx.t("field.email.invalid") }
        var dateOfBirth: PostgresDate?
        if let text = values["date_of_birth"], !text.isEmpty {
            if let date = LocalDate(iso: text), date.year >= 1900, date < LocalDate.of(ctx.now, in: TimeZone(identifier: "UTC")!) {
                dateOfBirth = PostgresDate(year: date.year, month: date.month, day: date.day)
            } else {
                errors["date_of_birth"] = ctx.t("field.date_of_birth.invalid")
            }
        }
        let password = form["password"] ?? ""
        if let problem = passwordProblem(ctx, password: password, confirmation: form["password_confirm"] ?? "",
                                         email: email, name: values["full_name"]!) {
            errors["password"] = problem
        }
        values["phone"] = String(values["phone"]!.prefix(AccountLimits.phoneLength * 2))
        guard errors.isEmpty else { return try registerPage(ctx, values: values, errors: errors) }

        let hash = try hasher.hash(password)
        let user = NewUser(role: .patient, email: email, passwordHash: hash, fullName: values["full_name"]!,
                           phone: values["phone"]!.isEmpty ? nil : values["phone"], dateOfBirth: dateOfBirth)
        do {
            _ = try database.transaction { db in try users.create(user, actor: ctx.actor, audit: audit, on: db) }
        } catch PostgresError.uniqueViolation(constraint: "users_email_unique") {
            errors["email"] = ctx.t("field.email.taken")
            return try registerPage(ctx, values: values, errors: errors)
        }
        return ctx.redirect(to: Routes.login, flash: "flash.registered")
    }

    private func registerPage(_ ctx: RequestContext, values: [String: String], errors: [String: String]) throws -> Response {
        try ctx.page("register", title: ctx.t("register.title"), status: 422,
                     ["values": values, "errors": errors, "hasErrors": true])
    }

    // MARK: - Profile and password

    func showProfile(_ ctx: RequestContext) throws -> Response {
        let user = ctx.user!
        return try profilePage(ctx, values: ["full_name": user.fullName, "phone": user.phone ?? ""], errors: [:], status: 200)
    }

    private func profilePage(_ ctx: RequestContext, values: [String: String], errors: [String: String],
                             passwordErrors: [String: String] = [:], status: Int) throws -> Response {
        let user = ctx.user!
        return try ctx.page("profile", title: ctx.t("profile.title"), status: status, [
            "values": values, "errors": errors, "passwordErrors": passwordErrors, "email": user.email,
            "mustChange": user.mustChangePassword,
            "profileAction": Routes.profile(for: user.role), "passwordAction": Routes.password(for: user.role),
        ])
    }

    func updateProfile(_ ctx: RequestContext) throws -> Response {
        let user = ctx.user!
        let form = try ctx.form()
        let values = ["full_name": form.trimmed("full_name"), "phone": form.trimmed("phone")]
        let errors = validateProfile(ctx, name: values["full_name"]!, phone: values["phone"]!)
        guard errors.isEmpty else { return try profilePage(ctx, values: values, errors: errors, status: 422) }
        try database.transaction { db in
            try users.updateProfile(userID: user.id, fullName: values["full_name"]!,
                                    phone: values["phone"]!.isEmpty ? nil : values["phone"], on: db)
            try audit.record(actor: ctx.actor, action: "user.profile_updated", entity: "user", entityID: String(user.id), on: db)
        }
        return ctx.redirect(to: Routes.profile(for: user.role), flash: "flash.profile_saved")
    }

    /// Changes the password: the current one is required, and every other session of the user ends.
    func changePassword(_ ctx: RequestContext) throws -> Response {
        let user = ctx.user!
        let form = try ctx.form()
        let current = form["current_password"] ?? ""
        let new = form["new_password"] ?? ""
        var errors: [String: String] = [:]
        let currentMatches = try current.utf8.count <= passwordPolicy.maximumLength * 4 && hasher.verify(current, against: user.passwordHash)
        if !currentMatches {
            errors["current_password"] = ctx.t("field.current_password.wrong")
        }
        if let problem = passwordProblem(ctx, password: new, confirmation: form["new_password_confirm"] ?? "",
                                         email: user.email, name: user.fullName) {
            errors["new_password"] = problem
        } else if new == current {
            errors["new_password"] = ctx.t("field.password.same")
        }
        guard errors.isEmpty else {
            return try profilePage(ctx, values: ["full_name": user.fullName, "phone": user.phone ?? ""], errors: [:],
                                   passwordErrors: errors, status: 422)
        }
        let hash = try hasher.hash(new)
        try database.transaction { db in
            try users.setPasswordHash(userID: user.id, hash: hash, on: db)
            try sessions.deleteAll(userID: user.id, keeping: ctx.session!.tokenHash, on: db)
            try audit.record(actor: ctx.actor, action: "password.changed", entity: "user", entityID: String(user.id), on: db)
        }
        return ctx.redirect(to: Routes.profile(for: user.role), flash: "flash.password_changed")
    }

    // MARK: - Validation

    private func validateProfile(_ ctx: RequestContext, name: String, phone: String) -> [String: String] {
        var errors: [String: String] = [:]
        if name.isEmpty { errors["full_name"] = ctx.t("field.full_name.required") }
        else if name.count > AccountLimits.nameLength || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            errors["full_name"] = ctx.t("field.full_name.invalid", ["max": String(AccountLimits.nameLength)])
        }
        if !phone.isEmpty, phone.count > AccountLimits.phoneLength
            || !phone.allSatisfy({ $0.isNumber || " +-()./".contains($0) }) || phone.filter(\.isNumber).count < 4 {
            errors["phone"] = ctx.t("field.phone.invalid")
        }
        return errors
    }

    /// The message for a password the policy refuses, or nil when it is acceptable.
    func passwordProblem(_ ctx: RequestContext, password: String, confirmation: String, email: String, name: String) -> String? {
        if let violation = passwordPolicy.validate(password, email: email, fullName: name) {
            switch violation {
            case .tooShort(let minimum): return ctx.t("field.password.too_short", ["min": String(minimum)])
            case .tooLong(let maximum): return ctx.t("field.password.too_long", ["max": String(maximum)])
            case .containsPersonalInfo: return ctx.t("field.password.personal")
            case .tooWeak: return ctx.t("field.password.weak")
            case .mismatch: return ctx.t("field.password.mismatch")
            }
        }
        return password == confirmation ? nil : ctx.t("field.password.mismatch")
    }

    static func isPlausibleEmail(_ email: String) -> Bool {
        guard email.utf8.count <= AccountLimits.emailLength, let at = email.lastIndex(of: "@") else { return false }
        let local = email[..<at], domain = email[email.index(after: at)...]
        return !local.isEmpty && local.count <= 64 && domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
            && !email.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "," })
    }
}
