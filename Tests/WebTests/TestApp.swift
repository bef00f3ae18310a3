import Foundation
import HTTPServer
import Logging
import Passwords
import Postgres
import Scheduling
import Storage
import TestSupport
import Views
@testable import Web

/// A clock tests move by hand.
final class MutableClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    init(_ instant: Date) { self.instant = instant }

    func now() -> Date { lock.withLock { instant } }
    func advance(by seconds: TimeInterval) { lock.withLock { instant += seconds } }
    func set(_ date: Date) { lock.withLock { instant = date } }
}

/// The portal wired to a fresh migrated database, a hand-moved clock and cheap argon2 settings.
final class TestApp {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// Cheap parameters keep tests fast; one test checks the production parameters separately.
    static let fastArgon2 = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)
    static let password = "correct horse battery staple"

    let app: App
    let pool: PostgresPool
    /// The test database's connection string, for tests that need a connection of their own.
    let url: String
    let clock: MutableClock
    let hasher: PasswordHasher

    /// - Parameter now: the clock's start (default: a fixed Wednesday morning, 2026-06-10 08:00 UTC).
    init(now: Date = Date(timeIntervalSince1970: 1_781_078_400), hasher: PasswordHasher? = nil, settings: App.Settings = .init()) throws {
        let (url, pool) = try TestDatabase.fresh()
        self.url = url
        self.pool = pool
        clock = MutableClock(now)
        self.hasher = hasher ?? PasswordHasher(parameters: Self.fastArgon2)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        app = try App(settings: settings, database: pool, hasher: self.hasher, clock: clock,
                      renderer: TemplateRenderer(directory: Self.repositoryRoot + "/Templates"),
                      catalog: MessageCatalog(directory: Self.repositoryRoot + "/Templates/i18n"),
                      staticFiles: StaticFiles(root: Self.repositoryRoot + "/Public"), logger: logger)
    }

    /// Creates an account directly (no form) and returns its id.
    @discardableResult
    func createUser(_ role: Role, email: String, name: String = "Test Person", password: String = TestApp.password,
                    mustChangePassword: Bool = false) throws -> Int64 {
        let hash = try hasher.hash(password)
        return try pool.transaction { db in
            try UserStore().create(NewUser(role: role, email: email, passwordHash: hash, fullName: name,
                                           mustChangePassword: mustChangePassword),
                                   actor: .system, audit: AuditStore(), on: db)
        }
    }

    /// A fresh portal with an admin (root@example.org) signed in through the login form.
    static func withSignedInAdmin() throws -> (TestApp, Browser, Int64) {
        let t = try TestApp()
        let admin = try t.createUser(.admin, email: "root@example.org", name: "Root Admin")
        let b = t.browser()
        b.signIn("root@example.org")
        return (t, b, admin)
    }

    /// A new browser with an empty cookie jar.
    func browser(ip: String = "127.0.0.1") -> Browser { Browser(app: app, ip: ip) }

    /// The audit actions recorded so far, oldest first.
    func auditActions() throws -> [String] {
        try pool.withConnection { db in try db.query("SELECT action FROM audit_log ORDER BY id").map { try $0.decode("action") } }
    }

    /// Number of rows of a table, e.g. to prove a refused request wrote nothing.
    func count(_ table: String) throws -> Int {
        try pool.withConnection { db in try db.query("SELECT count(*)::int AS n FROM \(unsafeRaw: table)")[0].decode("n") }
    }
}

/// A fake browser: keeps cookies, follows nothing by itself, finds CSRF tokens in forms like a user's browser submits them.
final class Browser {
    let app: App
    let ip: String
    var cookies: [String: String] = [:]
    var extraHeaders: [(String, String)] = []
    private(set) var lastPage = ""

    init(app: App, ip: String) {
        self.app = app
        self.ip = ip
    }

    @discardableResult
    func get(_ target: String) -> Response {
        send(Request(method: "GET", target: target, headers: headers(), remoteAddress: ip))
    }

    /// POSTs `fields` with the CSRF token of the page last loaded (as a real form would carry).
    @discardableResult
    func post(_ target: String, _ fields: [String: String], csrf: Bool = true) -> Response {
        var fields = fields
        if csrf, fields["_csrf"] == nil, let token = csrfToken() { fields["_csrf"] = token }
        let body = fields.map { "\(FormData.percentEncode($0.key))=\(FormData.percentEncode($0.value))" }.joined(separator: "&")
        var headers = headers()
        headers.add("Content-Type", "application/x-www-form-urlencoded")
        return send(Request(method: "POST", target: target, headers: headers, body: Array(body.utf8), remoteAddress: ip))
    }

    /// Loads `page`, then submits its form to `action` (default: the page itself).
    @discardableResult
    func submit(_ page: String, to action: String? = nil, _ fields: [String: String]) -> Response {
        get(page)
        return post(action ?? page, fields)
    }

    /// Signs in through the login form; returns the final response (a redirect on success).
    @discardableResult
    func signIn(_ email: String, password: String = TestApp.password) -> Response {
        submit("/login", ["email": email, "password": password])
    }

    func csrfToken() -> String? {
        guard let range = lastPage.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = lastPage[range.upperBound...]
        return String(rest.prefix { $0 != "\"" })
    }

    private func headers() -> HTTPHeaders {
        var headers = HTTPHeaders([("Host", "127.0.0.1:8080")] + extraHeaders)
        if !cookies.isEmpty {
            headers.add("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        return headers
    }

    private func send(_ request: Request) -> Response {
        let response = app.handle(request)
        for header in response.headers.values("set-cookie") {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if response.headers["content-type"]?.hasPrefix("text/html") == true {
            lastPage = String(decoding: response.body, as: UTF8.self)
        }
        return response
    }
}

extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }
    var location: String? { headers["location"] }
}
