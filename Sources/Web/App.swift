import Crypto
import Foundation
import HTTPServer
import Logging
import Passwords
import Postgres
import Scheduling
import Storage
import Views

/// The portal as one HTTP handler: routing, sessions, CSRF, security headers and error pages.
///
/// Every dependency is passed in (database pool, password hasher, clock, templates), so tests
/// run the same code with a fixed clock and a throwaway database.
public final class App: @unchecked Sendable {
    /// Web-facing settings.
    public struct Settings: Sendable {
        /// Behind a TLS proxy: cookies get `Secure` and the `__Host-` prefix.
        public var secureCookies: Bool
        public var sessionIdleTimeout: TimeInterval
        public var sessionAbsoluteLifetime: TimeInterval
        /// Behind a reverse proxy: the client address is the last `X-Forwarded-For` entry (the one the
        /// proxy appended), so throttling and the audit log see clients, not the proxy. Off otherwise,
        /// because a client could then forge the header.
        public var trustProxy: Bool

        public init(secureCookies: Bool = false, sessionIdleTimeout: TimeInterval = 30 * 60,
                    sessionAbsoluteLifetime: TimeInterval = 12 * 3600, trustProxy: Bool = false) {
            self.secureCookies = secureCookies
            self.sessionIdleTimeout = sessionIdleTimeout
            self.sessionAbsoluteLifetime = sessionAbsoluteLifetime
            self.trustProxy = trustProxy
        }
    }

    struct CookieNames {
        let session: String
        let preSession: String
        let flash: String
    }

    let settings: Settings
    let database: PostgresPool
    let hasher: PasswordHasher
    let passwordPolicy = PasswordPolicy()
    let clock: any Clock
    let renderer: TemplateRenderer
    let catalog: MessageCatalog
    let staticFiles: StaticFiles
    let logger: Logger
    let cookieNames: CookieNames

    let users = UserStore()
    let sessions: SessionStore
    let audit = AuditStore()
    let throttle = ThrottleStore()
    let clinics = ClinicStore()
    let appointmentStore = AppointmentStore()
    let directoryStore = DirectoryStore()
    let scheduleStore = ScheduleStore()
    let practiceStore = PracticeStore()
    let statisticsStore = StatisticsStore()
    let adminUserStore = AdminUserStore()

    private let preSessionKey: SymmetricKey
    private var router = Router()

    /// Wires the portal. Loads (or creates once per deployment) the key that signs pre-session CSRF tokens.
    /// - Throws: `PostgresError` when the database cannot be reached.
    public init(settings: Settings, database: PostgresPool, hasher: PasswordHasher, clock: any Clock,
                renderer: TemplateRenderer, catalog: MessageCatalog, staticFiles: StaticFiles, logger: Logger) throws {
        self.settings = settings
        self.database = database
        self.hasher = hasher
        self.clock = clock
        self.renderer = renderer
        self.catalog = catalog
        self.staticFiles = staticFiles
        self.logger = logger
        sessions = SessionStore(idleTimeout: settings.sessionIdleTimeout, absoluteLifetime: settings.sessionAbsoluteLifetime)
        let prefix = settings.secureCookies ? "__Host-" : ""
        cookieNames = CookieNames(session: prefix + "session", preSession: prefix + "csrf", flash: prefix + "flash")
        let secret = try database.withConnection { db -> String in
            try db.execute("INSERT INTO app_secrets (name, value) VALUES ('csrf', \(App.randomToken())) ON CONFLICT (name) DO NOTHING")
            return try db.query("SELECT value FROM app_secrets WHERE name = 'csrf'")[0].decode("value")
        }
        preSessionKey = SymmetricKey(data: Array(secret.utf8))
        registerRoutes(&router)
    }

    /// Answers one request. Never throws: every failure becomes an error page.
    public func handle(_ request: Request) -> Response {
        var request = request
        if settings.trustProxy, let forwarded = Self.forwardedClient(request.headers.values("x-forwarded-for")) {
            request.remoteAddress = forwarded
        }
        if request.path.hasPrefix(Routes.staticPrefix) || request.path == Routes.favicon {
            return staticFile(request)
        }
        let now = clock.now()
        var response: Response
        var context: RequestContext?
        do {
            let session = try currentSession(request, now: now)
            let ctx = RequestContext(request: request, app: self, now: now, session: session)
            context = ctx
            response = try dispatch(ctx)
        } catch {
            response = errorResponse(error, request: request, context: context)
        }
        return withSecurityHeaders(response, signedIn: context?.session != nil)
    }

    private func dispatch(_ ctx: RequestContext) throws -> Response {
        switch router.match(method: ctx.request.method, path: ctx.request.path) {
        case .notFound:
            throw AppError.notFound
        case .methodNotAllowed(let allowed):
            var response = try ctx.page("error", title: ctx.t("error.405.title"), status: 405,
                                        ["heading": ctx.t("error.405.title"), "message": ctx.t("error.405.body")])
            response.headers.set("Allow", allowed.joined(separator: ", "))
            return response
        case .found(let handler, let access, let parameters):
            ctx.parameters = parameters
            try authorize(ctx, access)
            if let user = ctx.user, user.mustChangePassword,
               ![Routes.profile(for: user.role), Routes.password(for: user.role), Routes.logout].contains(ctx.request.path) {
                // A temporary password (set by an admin) must be replaced before anything else.
                return ctx.redirect(to: Routes.profile(for: user.role), flash: "flash.must_change_password")
            }
            if ctx.request.method == "POST" {
                guard ctx.verifyCSRF(try ctx.form()) else {
                    try? database.withConnection { db in
                        try audit.record(actor: ctx.actor, action: "security.csrf_rejected", entity: "route",
                                         entityID: ctx.request.path, on: db)
                    }
                    throw AppError.forbidden
                }
            }
            return try handler(ctx)
        }
    }

    private func authorize(_ ctx: RequestContext, _ access: Router.Access) throws {
        switch access {
        case .anyone:
            return
        case .signedIn:
            if ctx.user == nil { throw AppError.unauthenticated }
        case .role(let role):
            guard let user = ctx.user else { throw AppError.unauthenticated }
            if user.role != role {
                try? database.withConnection { db in
                    try audit.record(actor: ctx.actor, action: "security.forbidden", entity: "route", entityID: ctx.request.path, on: db)
                }
                throw AppError.forbidden
            }
        }
    }

    private func currentSession(_ request: Request, now: Date) throws -> Session? {
        guard let token = request.cookies[cookieNames.session], !token.isEmpty, token.utf8.count <= 100 else { return nil }
        do {
            return try database.withConnection { db in try sessions.find(token: token, now: now, on: db) }
        } catch let error as PostgresError {
            throw AppError.from(error) ?? error
        }
    }

    // MARK: - Errors, in one place

    private func errorResponse(_ error: Error, request: Request, context: RequestContext?) -> Response {
        var appError: AppError
        switch error {
        case let error as AppError:
            appError = error
        case let error as PostgresError where AppError.from(error) != nil:
            appError = AppError.from(error)!
            logger.warning("database unavailable", metadata: ["path": "\(request.path)", "error": "\(error)"])
        case PasswordHashingError.busy:
            // A login storm: refuse at once instead of parking a worker thread (see PasswordHasher).
            appError = .unavailable
        default:
            logger.error("unhandled error", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return renderError(status: 500, titleKey: "error.500.title", bodyKey: "error.500.body", request: request, context: context)
        }
        if appError == .unauthenticated {
            let ctx = context ?? RequestContext(request: request, app: self, now: clock.now(), session: nil)
            let target = request.method == "GET" ? request.target : Routes.home
            return ctx.redirect(to: Routes.login(next: target))
        }
        let keys = appError.messageKeys
        return renderError(status: appError.status, titleKey: keys.title, bodyKey: keys.body, request: request, context: context)
    }

    /// Renders the one error page; falls back to plain text if even that fails.
    private func renderError(status: Int, titleKey: String, bodyKey: String, request: Request, context: RequestContext?) -> Response {
        let ctx = context ?? RequestContext(request: request, app: self, now: clock.now(), session: nil)
        var response = (try? ctx.page("error", title: ctx.t(titleKey), status: status,
                                      ["heading": ctx.t(titleKey), "message": ctx.t(bodyKey)]))
            ?? Response.text(catalog.format(titleKey, language: catalog.fallbackLanguage), status: status)
        if status == 503 { response.headers.set("Retry-After", "5") }
        return response
    }

    // MARK: - Headers

    private func withSecurityHeaders(_ response: Response, signedIn: Bool) -> Response {
        var response = response
        response.headers.set("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("X-Frame-Options", "DENY")
        response.headers.set("Referrer-Policy", "same-origin")
        response.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.set("Cross-Origin-Opener-Policy", "same-origin")
        if signedIn || !response.headers.contains("Cache-Control") {
            response.headers.set("Cache-Control", signedIn ? "no-store" : "no-cache")
        }
        return response
    }

    private func staticFile(_ request: Request) -> Response {
        let relative = request.path == Routes.favicon ? "favicon.ico" : String(request.path.dropFirst(Routes.staticPrefix.count))
        guard request.method == "GET" || request.method == "HEAD",
              let response = staticFiles.response(for: request, relativePath: relative) else {
            return withSecurityHeaders(Response.text("Not found", status: 404), signedIn: false)
        }
        return withSecurityHeaders(response, signedIn: false)
    }

    /// The address the nearest proxy saw (the last X-Forwarded-For entry, RFC 7239 §5.2 order),
    /// if it looks like an IP address; nil otherwise.
    static func forwardedClient(_ values: [String]) -> String? {
        guard let last = values.joined(separator: ",").split(separator: ",").last else { return nil }
        let address = last.trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty, address.count <= 45,
              address.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else { return nil }
        return address
    }

    // MARK: - Secrets

    /// 256 random bits from a CSPRNG (swift-crypto's, seeded by the kernel), base64url without padding.
    static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { base64URL($0) }
    }

    func signPreSession(_ token: String) -> String {
        Self.base64URL(HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: preSessionKey))
    }

    private static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// RFC 4648 §5 base64url without padding: safe in cookies, URLs and form fields as it is.
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index < input.count {
            let count = min(3, input.count - index)
            var group = UInt32(input[index]) << 16
            if count > 1 { group |= UInt32(input[index + 1]) << 8 }
            if count > 2 { group |= UInt32(input[index + 2]) }
            for position in 0...count {
                output.append(base64URLAlphabet[Int((group >> (18 - 6 * UInt32(position))) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Compares secrets without an early exit, so timing does not reveal a prefix.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
