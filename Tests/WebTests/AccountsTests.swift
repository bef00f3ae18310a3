import Foundation
@testable import Passwords
import Storage
import Testing
@testable import Web

@Suite("Registration, sign-in, sessions and passwords")
struct AccountsTests {
    @Test func registeringCreatesAPatientWithAnArgon2idHashAtTheProductionParameters() throws {
        let t = try TestApp(hasher: PasswordHasher())
        let b = t.browser()
        let response = b.submit("/register", ["full_name": "Rosa Parks", "email": "Rosa@Example.org",
                                              "password": "violet tulips under rain", "password_confirm": "violet tulips under rain"])
        #expect(response.status == 303)
        #expect(response.location == "/login")
        let user = try #require(try t.pool.withConnection { db in try UserStore().find(email: "rosa@example.org", on: db) })
        #expect(user.role == .patient)
        #expect(user.email == "rosa@example.org")
        #expect(user.passwordHash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try t.auditActions().contains("user.registered"))
    }

    @Test func invalidRegistrationReRendersWithMessagesKeepsValuesAndWritesNothing() throws {
        let t = try TestApp()
        let b = t.browser()
        let response = b.submit("/register", ["full_name": "Ann <b>Lee</b>", "email": "not-an-email",
                                              "phone": "call me", "password": "short", "password_confirm": "short"])
        #expect(response.status == 422)
        #expect(response.text.contains("Enter an email address"))
        #expect(response.text.contains("Use at least 12 characters"))
        #expect(response.text.contains("Enter a phone number"))
        #expect(response.text.contains("value=\"not-an-email\""))
        #expect(response.text.contains("Ann &lt;b&gt;Lee&lt;/b&gt;"))
        #expect(!response.text.contains("value=\"short\""), "a password is never echoed back")
        #expect(try t.count("users") == 0)
    }

    @Test func emailsAreUniqueCaseInsensitively() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "sam@example.org")
        let response = t.browser().submit("/register", ["full_name": "Sam Other", "email": "SAM@example.org",
                                                        "password": "granite otter lantern", "password_confirm": "granite otter lantern"])
        #expect(response.status == 422)
        #expect(response.text.contains("already exists"))
        #expect(try t.count("users") == 1)
    }

    @Test(arguments: [
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("qwertyuiopasdf", "too easy to guess"),
        ("12345678901234", "too easy to guess"),
        ("jordan-is-my-secret", "name or email"),
        (String(repeating: "x7", count: 513), "at most 1024"),
    ])
    func weakOrPersonalPasswordsAreRefused(password: String, message: String) throws {
        let t = try TestApp()
        let response = t.browser().submit("/register", ["full_name": "Jordan Hale", "email": "jhale@example.org",
                                                        "password": password, "password_confirm": password])
        #expect(response.status == 422)
        #expect(response.text.contains(message))
    }

    @Test func signingInIssuesANewSessionTokenAndLandsOnTheRoleHome() throws {
        let t = try TestApp()
        try t.createUser(.admin, email: "boss@example.org")
        let b = t.browser()
        b.cookies["session"] = "planted-by-an-attacker"
        let response = b.signIn("boss@example.org")
        #expect(response.status == 303)
        #expect(response.location == "/admin")
        let token = try #require(b.cookies["session"])
        #expect(token != "planted-by-an-attacker")
        #expect(token.count >= 43, "256 random bits")
        let stored: String = try t.pool.withConnection { db in try db.query("SELECT token_hash FROM sessions")[0].decode("token_hash") }
        #expect(stored == SessionStore.hash(token: token), "only the SHA-256 of the token is stored")
        #expect(b.get("/admin").status == 200)
    }

    @Test func sessionCookieHasTheSafeAttributesAndHostPrefixBehindTLS() throws {
        let t = try TestApp(settings: App.Settings(secureCookies: true))
        try t.createUser(.patient, email: "pat@example.org")
        let b = t.browser()
        b.get("/login")
        let response = b.post("/login", ["email": "pat@example.org", "password": TestApp.password])
        let cookie = try #require(response.headers.values("set-cookie").first { $0.hasPrefix("__Host-session=") })
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Lax"))
        #expect(cookie.contains("Path=/"))
        #expect(cookie.contains("Secure"))
    }

    @Test func unknownEmailAndWrongPasswordGiveTheSamePage() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "known@example.org")
        let unknown = t.browser(ip: "10.0.0.1").signIn("nobody@example.org", password: "whatever it is 123")
        let wrong = t.browser(ip: "10.0.0.2").signIn("known@example.org", password: "whatever it is 123")
        #expect(unknown.status == 422)
        #expect(wrong.status == unknown.status)
        func message(_ text: String) -> String? {
            text.components(separatedBy: "id=\"login-error\">").dropFirst().first?.components(separatedBy: "<").first
        }
        #expect(message(unknown.text) != nil)
        #expect(message(unknown.text) == message(wrong.text))
        let actions = try t.auditActions()
        #expect(actions.filter { $0 == "auth.login_failed" }.count == 2)
    }

    @Test func fiveFailuresLockTheAccountAndAnAdminCanUnlockIt() throws {
        let t = try TestApp()
        let id = try t.createUser(.patient, email: "victim@example.org")
        for attempt in 0..<5 {
            t.browser(ip: "10.1.0.\(attempt)").signIn("victim@example.org", password: "not the password \(attempt)")
        }
        #expect(try t.auditActions().contains("auth.locked"))
        let lockedOut = t.browser(ip: "10.2.0.1").signIn("victim@example.org")
        #expect(lockedOut.status == 422, "the right password is refused while locked")
        try t.pool.withConnection { db in try UserStore().unlock(userID: id, on: db) }
        #expect(t.browser(ip: "10.2.0.2").signIn("victim@example.org").status == 303)
    }

    @Test func lockExpiresWithTime() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "later@example.org")
        for attempt in 0..<5 { t.browser(ip: "10.3.0.\(attempt)").signIn("later@example.org", password: "nope nope nope \(attempt)") }
        #expect(t.browser(ip: "10.3.1.1").signIn("later@example.org").status == 422)
        t.clock.advance(by: 61)
        #expect(t.browser(ip: "10.3.1.2").signIn("later@example.org").status == 303)
    }

    @Test func oneAddressIsThrottledAfterManyFailures() throws {
        let t = try TestApp()
        let b = t.browser(ip: "192.0.2.7")
        for attempt in 0..<ThrottleStore().maximumFailures {
            b.signIn("user\(attempt)@example.org", password: "guessing guessing")
        }
        let response = b.signIn("user@example.org", password: "guessing guessing")
        #expect(response.status == 429)
        #expect(try t.auditActions().contains("auth.throttled"))
        #expect(t.browser(ip: "192.0.2.8").get("/login").status == 200, "other clients are not affected")
    }

    @Test(arguments: ["https://evil.example/phish", "//evil.example", "/\\evil.example", "javascript:alert(1)"])
    func nextAcceptsOnlyLocalPaths(next: String) throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "nav@example.org")
        let b = t.browser()
        b.get("/login?next=" + FormData.percentEncode(next))
        let response = b.post("/login", ["email": "nav@example.org", "password": TestApp.password, "next": next])
        #expect(response.location == "/patient")
    }

    @Test func nextReturnsToTheRequestedLocalPage() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "back@example.org")
        let b = t.browser()
        let bounce = b.get("/patient/profile")
        #expect(bounce.status == 303)
        #expect(bounce.location == "/login?next=%2Fpatient%2Fprofile")
        b.get(bounce.location!)
        let response = b.post("/login", ["email": "back@example.org", "password": TestApp.password, "next": "/patient/profile"])
        #expect(response.location == "/patient/profile")
    }

    @Test func logoutDeletesTheSessionServerSide() throws {
        let t = try TestApp()
        try t.createUser(.doctor, email: "doc@example.org")
        let b = t.browser()
        b.signIn("doc@example.org")
        let token = try #require(b.cookies["session"])
        b.get("/doctor/profile")
        #expect(b.post("/logout", [:]).status == 303)
        #expect(try t.count("sessions") == 0)
        let replay = t.browser()
        replay.cookies["session"] = token
        #expect(replay.get("/doctor/profile").status == 303, "a logged-out token is worthless")
        #expect(try t.auditActions().contains("auth.logout"))
    }

    @Test func sessionsExpireWhenIdleAndAfterTheirAbsoluteLifetime() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "idle@example.org")
        let b = t.browser()
        b.signIn("idle@example.org")
        t.clock.advance(by: 29 * 60)
        #expect(b.get("/patient/profile").status == 200)
        t.clock.advance(by: 31 * 60)
        #expect(b.get("/patient/profile").status == 303, "idle for more than 30 minutes")

        b.signIn("idle@example.org")
        for _ in 0..<25 {
            t.clock.advance(by: 29 * 60)
            _ = b.get("/patient/profile")
        }
        #expect(b.get("/patient/profile").status == 303, "no session outlives 12 hours")
    }

    @Test func deactivatingAUserEndsTheirSessionsAtOnce() throws {
        let t = try TestApp()
        let id = try t.createUser(.patient, email: "gone@example.org")
        let b = t.browser()
        b.signIn("gone@example.org")
        try t.pool.withConnection { db in try UserStore().setActive(userID: id, active: false, on: db) }
        #expect(b.get("/patient/profile").status == 303)
        #expect(t.browser(ip: "10.9.9.9").signIn("gone@example.org").status == 422)
    }

    @Test func changingThePasswordNeedsTheCurrentOneAndEndsOtherSessions() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "two@example.org")
        let laptop = t.browser(), phone = t.browser()
        laptop.signIn("two@example.org")
        phone.signIn("two@example.org")
        laptop.get("/patient/profile")
        let wrong = laptop.post("/patient/password", ["current_password": "not my password!", "new_password": "sapphire walrus meadow",
                                                      "new_password_confirm": "sapphire walrus meadow"])
        #expect(wrong.status == 422)
        #expect(wrong.text.contains("current password is not correct"))
        let ok = laptop.post("/patient/password", ["current_password": TestApp.password, "new_password": "sapphire walrus meadow",
                                                   "new_password_confirm": "sapphire walrus meadow"])
        #expect(ok.status == 303)
        #expect(laptop.get("/patient/profile").status == 200, "the session that changed it stays")
        #expect(phone.get("/patient/profile").status == 303, "every other session ends")
        #expect(t.browser(ip: "10.4.4.4").signIn("two@example.org", password: "sapphire walrus meadow").status == 303)
        #expect(try t.auditActions().contains("password.changed"))
    }

    @Test func aTemporaryPasswordMustBeChangedBeforeAnythingElse() throws {
        let t = try TestApp()
        try t.createUser(.doctor, email: "new.doc@example.org", mustChangePassword: true)
        let b = t.browser()
        let login = b.signIn("new.doc@example.org")
        #expect(login.location == "/doctor/profile")
        #expect(b.get("/doctor").location == "/doctor/profile")
        b.get("/doctor/profile")
        let changed = b.post("/doctor/password", ["current_password": TestApp.password, "new_password": "cobalt heron orchard",
                                                  "new_password_confirm": "cobalt heron orchard"])
        #expect(changed.status == 303)
        #expect(b.get("/doctor/profile").text.contains("Change password"))
        #expect(b.get("/doctor").location != "/doctor/profile")
    }

    @Test func profileChangesNameAndPhoneAndEscapesMarkup() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "me@example.org")
        let b = t.browser()
        b.signIn("me@example.org")
        let saved = b.submit("/patient/profile", ["full_name": "<script>alert(1)</script>", "phone": "+49 30 555 0101"])
        #expect(saved.status == 303)
        let page = b.get("/patient/profile").text
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.contains("<script>alert(1)"))
        #expect(page.contains("+49 30 555 0101"))
    }

    @Test func rehashesAtLoginWhenTheParametersChanged() throws {
        let old = try TestApp()
        try old.createUser(.patient, email: "legacy@example.org")
        let before: String = try old.pool.withConnection { db in try db.query("SELECT password_hash FROM users")[0].decode("password_hash") }
        #expect(before.contains("m=1024,t=1,p=1"))
        var logger = old.app.logger
        logger.logLevel = .critical
        let upgraded = try App(settings: .init(), database: old.pool, hasher: PasswordHasher(parameters: .init(memoryKiB: 2048, iterations: 1, parallelism: 1)),
                               clock: old.clock, renderer: old.app.renderer, catalog: old.app.catalog, staticFiles: old.app.staticFiles, logger: logger)
        #expect(Browser(app: upgraded, ip: "127.0.0.1").signIn("legacy@example.org").status == 303)
        let after: String = try old.pool.withConnection { db in try db.query("SELECT password_hash FROM users")[0].decode("password_hash") }
        #expect(after.contains("m=2048,t=1,p=1"))
    }

    @Test func aLoginStormIsRefusedWith503WhilePagesKeepServing() throws {
        let hasher = PasswordHasher(parameters: TestApp.fastArgon2, maxConcurrentHashes: 1, maxWaiting: 0)
        let t = try TestApp(hasher: hasher)
        try t.createUser(.patient, email: "storm@example.org")
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        hasher.whileHoldingPermit = { _ in
            holding.signal()
            _ = release.wait(timeout: .now() + 10)
        }
        let done = DispatchSemaphore(value: 0)
        Thread { _ = try? hasher.hash("another sign-in holds the only slot"); done.signal() }.start()
        #expect(holding.wait(timeout: .now() + 20) == .success)

        let refused = t.browser(ip: "10.7.0.1").signIn("storm@example.org")
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] != nil)
        #expect(t.browser(ip: "10.7.0.2").get("/").status == 200, "page views do not wait for hashing")

        hasher.whileHoldingPermit = nil
        release.signal()
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(t.browser(ip: "10.7.0.3").signIn("storm@example.org").status == 303)
    }
}
