import Crypto
import Foundation
import HTTPServer
import Postgres
import Storage
import Scheduling
import Views

/// Everything a handler needs about one request: who asks, in which language, with which form.
final class RequestContext {
    let request: Request
    let app: App
    let now: Date
    /// The signed-in session, if any.
    let session: Session?
    /// Route parameters such as `{id}`.
    var parameters: [String: String] = [:]
    let language: String
    let strings: MessageCatalog.Strings
    /// Cookies to set on whatever response this request produces.
    var cookies: [Cookie] = []
    /// The flash message key carried over from the previous response, if any.
    let flashKey: String?

    init(request: Request, app: App, now: Date, session: Session?) {
        self.request = request
        self.app = app
        self.now = now
        self.session = session
        language = app.catalog.language(forAcceptLanguage: request.headers["accept-language"])
        strings = app.catalog.strings(for: language)
        let cookies = request.cookies
        flashKey = cookies[app.cookieNames.flash].flatMap { $0.isEmpty ? nil : $0 }
        if flashKey != nil { self.cookies.append(.expired(app.cookieNames.flash, secure: app.settings.secureCookies)) }
    }

    var user: User? { session?.user }

    /// Who is acting, for the audit trail.
    var actor: Actor {
        guard let user else { return .anonymous(ip: request.remoteAddress) }
        return Actor(userID: user.id, role: user.role.rawValue, ip: request.remoteAddress)
    }

    /// The text of a catalog key, with `{name}` arguments filled.
    func t(_ key: String, _ arguments: [String: String] = [:]) -> String {
        app.catalog.format(key, language: language, arguments)
    }

    // MARK: - Input

    /// The decoded form body of a POST.
    /// - Throws: `AppError.badRequest` when it is not valid form encoding.
    func form() throws -> FormData {
        guard let text = String(validating: request.body, as: UTF8.self), let form = FormData(text) else {
            throw AppError.badRequest
        }
        return form
    }

    /// The decoded query string.
    /// - Throws: `AppError.badRequest` when it is not valid encoding.
    func query() throws -> FormData {
        guard let query = FormData(request.query) else { throw AppError.badRequest }
        return query
    }

    /// A positive integer route parameter (object ids).
    /// - Throws: `AppError.notFound` for anything else, so a malformed id looks like a missing one.
    func id(_ name: String = "id") throws -> Int64 {
        guard let text = parameters[name], let id = Int64(text), id > 0 else { throw AppError.notFound }
        return id
    }

    // MARK: - CSRF (OWASP synchronizer token pattern)

    /// The token every POST form of this page carries as `_csrf`: the session's secret when signed in;
    /// otherwise an HMAC of a pre-session cookie, set here when missing.
    func csrfToken() -> String {
        if let session { return session.csrfSecret }
        if let token = preSessionToken { return app.signPreSession(token) }
        let token = App.randomToken()
        preSessionToken = token
        cookies.append(Cookie(name: app.cookieNames.preSession, value: token, maxAge: nil, secure: app.settings.secureCookies))
        return app.signPreSession(token)
    }

    private lazy var preSessionToken: String? = request.cookies[app.cookieNames.preSession]

    /// Checks a POST: same-origin by Fetch Metadata and Origin, and the token matches.
    func verifyCSRF(_ form: FormData) -> Bool {
        if let site = request.headers["sec-fetch-site"], site != "same-origin", site != "none" { return false }
        if let origin = request.headers["origin"] {
            guard let host = request.headers["host"], origin == "http://\(host)" || origin == "https://\(host)" else { return false }
        }
        guard let sent = form["_csrf"], !sent.isEmpty else { return false }
        let expected: String
        if let session {
            expected = session.csrfSecret
        } else if let token = preSessionToken {
            expected = app.signPreSession(token)
        } else {
            return false
        }
        return App.constantTimeEqual(sent, expected)
    }

    // MARK: - Responses

    /// Renders `template` inside the layout, with the values every page shares.
    /// - Throws: when the template is missing (a bug, reported as 500).
    func page(_ template: String, title: String, status: Int = 200, _ values: [String: Any] = [:]) throws -> Response {
        var context = commonValues()
        context.merge(values) { _, new in new }
        let content = try app.renderer.render(template, context)
        context["title"] = title
        context["content"] = content
        let html = try app.renderer.render("layout", context)
        return finish(Response.html(html, status: status))
    }

    /// A 303 redirect (after a POST, RFC 9110 §15.4.4), optionally with a flash message for the next page.
    func redirect(to location: String, flash: String? = nil) -> Response {
        if let flash { cookies.append(Cookie(name: app.cookieNames.flash, value: flash, maxAge: 60, secure: app.settings.secureCookies)) }
        var response = Response(status: 303)
        response.headers.set("Location", location)
        return finish(response)
    }

    /// Adds this request's cookies to a response.
    func finish(_ response: Response) -> Response {
        var response = response
        for cookie in cookies { response.headers.add("Set-Cookie", cookie.headerValue) }
        return response
    }

    private func commonValues() -> [String: Any] {
        var values: [String: Any] = [
            "t": app.catalog.templateStrings(for: language),
            "lang": language,
            "csrf": csrfToken(),
            "routes": ["home": Routes.home, "login": Routes.login, "logout": Routes.logout, "register": Routes.register,
                       "doctors": Routes.doctors, "stylesheet": Routes.stylesheet, "favicon": Routes.favicon],
        ]
        if let flashKey, let text = strings[flashKey] { values["flash"] = text }
        if let user {
            values["user"] = ["name": user.fullName, "email": user.email, "role": user.role.rawValue]
            values["nav"] = navigation(for: user.role)
        } else {
            values["nav"] = [
                ["href": Routes.doctors, "label": t("nav.doctors")],
            ]
        }
        return values
    }

    private func navigation(for role: Role) -> [[String: String]] {
        var items: [[String: String]] = []
        switch role {
        case .patient:
            items = [["href": Routes.patientHome, "label": t("nav.appointments")], ["href": Routes.doctors, "label": t("nav.doctors")]]
        case .doctor:
            items = [["href": Routes.doctorHome, "label": t("nav.today")], ["href": Routes.doctorCalendar, "label": t("nav.calendar")],
                     ["href": Routes.doctorAvailability, "label": t("nav.availability")]]
        case .admin:
            items = [["href": Routes.adminHome, "label": t("nav.dashboard")], ["href": Routes.adminUsers, "label": t("nav.users")],
                     ["href": Routes.adminAppointments, "label": t("nav.all_appointments")], ["href": Routes.adminAudit, "label": t("nav.audit")]]
        }
        items.append(["href": Routes.profile(for: role), "label": t("nav.profile")])
        let path = request.path
        return items.map { item in
            var item = item
            if item["href"] == path { item["current"] = "page" }
            return item
        }
    }
}

extension Response {
    /// An HTML page with the right content type.
    static func html(_ html: String, status: Int = 200) -> Response {
        var response = Response(status: status, body: Array(html.utf8))
        response.headers.set("Content-Type", "text/html; charset=utf-8")
        return response
    }

    /// A plain-text body.
    static func text(_ text: String, status: Int = 200) -> Response {
        var response = Response(status: status, body: Array(text.utf8))
        response.headers.set("Content-Type", "text/plain; charset=utf-8")
        return response
    }
}
