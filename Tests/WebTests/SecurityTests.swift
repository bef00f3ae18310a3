import Foundation
import HTTPServer
import Testing
import Storage
@testable import Web

@Suite("CSRF, roles and response headers")
struct SecurityTests {
    @Test func aPostWithoutTheTokenIsRefusedAndWritesNothing() throws {
        let t = try TestApp()
        let b = t.browser()
        b.get("/register")
        let response = b.post("/register", ["full_name": "No Token", "email": "nt@example.org",
                                            "password": "lantern pebble sparrow", "password_confirm": "lantern pebble sparrow"], csrf: false)
        #expect(response.status == 403)
        #expect(try t.count("users") == 0)
        #expect(try t.auditActions().contains("security.csrf_rejected"))
    }

    @Test func aTokenFromAnotherBrowserIsRefused() throws {
        let t = try TestApp()
        let attacker = t.browser(), victim = t.browser()
        attacker.get("/register")
        let stolen = try #require(attacker.csrfToken())
        victim.get("/register")
        let response = victim.post("/register", ["_csrf": stolen, "full_name": "X Y", "email": "xy@example.org",
                                                 "password": "lantern pebble sparrow", "password_confirm": "lantern pebble sparrow"])
        #expect(response.status == 403)
        #expect(try t.count("users") == 0)
    }

    @Test func crossSiteRequestsAreRefusedEvenWithAToken() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "p@example.org")
        let b = t.browser()
        b.signIn("p@example.org")
        b.get("/patient/profile")
        b.extraHeaders = [("Sec-Fetch-Site", "cross-site")]
        #expect(b.post("/patient/profile", ["full_name": "Hacked"]).status == 403)
        b.extraHeaders = [("Origin", "https://evil.example")]
        #expect(b.post("/patient/profile", ["full_name": "Hacked"]).status == 403)
        b.extraHeaders = [("Origin", "http://127.0.0.1:8080"), ("Sec-Fetch-Site", "same-origin")]
        #expect(b.post("/patient/profile", ["full_name": "Fine Name"]).status == 303)
    }

    @Test func rolesAreEnforcedAndFailuresAudited() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "p@example.org")
        let anonymous = t.browser()
        let bounce = anonymous.get("/admin")
        #expect(bounce.status == 303)
        #expect(bounce.location == "/login?next=%2Fadmin")
        let b = t.browser()
        b.signIn("p@example.org")
        for path in ["/admin", "/admin/audit", "/doctor/profile"] {
            #expect(b.get(path).status == 403, "\(path)")
        }
        #expect(try t.auditActions().contains("security.forbidden"))
    }

    @Test func everyResponseCarriesTheSecurityHeaders() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "h@example.org")
        let b = t.browser()
        for response in [b.get("/"), b.get("/login"), b.get("/no-such-page"), b.get("/static/style.css")] {
            let csp = try #require(response.headers["content-security-policy"])
            #expect(csp.contains("default-src 'self'"))
            #expect(csp.contains("object-src 'none'"))
            #expect(csp.contains("base-uri 'none'"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(response.headers["x-content-type-options"] == "nosniff")
            #expect(response.headers["referrer-policy"] != nil)
            #expect(response.headers["permissions-policy"] != nil)
        }
        b.signIn("h@example.org")
        #expect(b.get("/patient/profile").headers["cache-control"] == "no-store")
    }

    @Test func unknownPathsGetTheErrorPageAndWrongMethods405() throws {
        let t = try TestApp()
        let b = t.browser()
        let missing = b.get("/nothing/here")
        #expect(missing.status == 404)
        #expect(missing.text.contains("Page not found"))
        let wrongMethod = b.get("/logout")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
    }

    @Test func malformedFormEncodingIsABadRequest() throws {
        let t = try TestApp()
        let b = t.browser()
        b.get("/login")
        let response = t.app.handle(Request(method: "POST", target: "/login",
                                            headers: HTTPHeaders([("Host", "x"), ("Cookie", b.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))]),
                                            body: Array("email=%zz".utf8)))
        #expect(response.status == 400)
    }

    @Test(arguments: ["email=a%00b&password=x", "full_name=a%00b&email=n@example.org"])
    func aNulCharacterInAFormIsABadRequestNotAServerError(body: String) throws {
        let t = try TestApp()
        let b = t.browser()
        b.get("/login")
        let response = b.post("/login", ["email": "a\u{0}b", "password": "whatever it is 1"])
        #expect(response.status == 400)
        #expect(FormData(body) == nil)
        #expect(FormData("q=%00") == nil, "queries too")
        #expect(try t.count("audit_log") == 0 || !(try t.auditActions().contains("auth.login_failed")))
    }

    @Test func templatesEscapeUserInputByDefault() throws {
        let t = try TestApp()
        let b = t.browser()
        let response = b.get("/login?next=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        #expect(!response.text.contains("<script>alert(1)</script>"))
        #expect(response.text.contains("&lt;script&gt;") || !response.text.contains("script>alert"))
    }

    @Test func behindATrustedProxyTheClientAddressComesFromXForwardedFor() throws {
        let trusting = try TestApp(settings: App.Settings(trustProxy: true))
        let b = trusting.browser(ip: "127.0.0.1")
        b.extraHeaders = [("X-Forwarded-For", "203.0.113.9, 198.51.100.23")]
        b.signIn("nobody@example.org", password: "a wrong password here")
        let ip: String = try trusting.pool.withConnection { db in
            try db.query("SELECT ip FROM audit_log WHERE action = 'auth.login_failed'")[0].decode("ip")
        }
        #expect(ip == "198.51.100.23", "the entry the proxy appended, not one the client wrote")

        let direct = try TestApp()
        let c = direct.browser(ip: "127.0.0.1")
        c.extraHeaders = [("X-Forwarded-For", "198.51.100.23")]
        c.signIn("nobody@example.org", password: "a wrong password here")
        let directIP: String = try direct.pool.withConnection { db in
            try db.query("SELECT ip FROM audit_log WHERE action = 'auth.login_failed'")[0].decode("ip")
        }
        #expect(directIP == "127.0.0.1", "without the setting the header is ignored")
        #expect(App.forwardedClient(["<script>"]) == nil)
    }

    @Test func healthAndReadinessAnswer() throws {
        let t = try TestApp()
        #expect(t.browser().get("/healthz").status == 200)
        #expect(t.browser().get("/readyz").status == 200)
    }
}

@Suite("Page rendering")
struct PageRenderingTests {
    @Test func absentOptionalValuesDoNotRenderTheirSections() throws {
        let t = try TestApp()
        let page = t.browser().get("/login")
        #expect(page.status == 200)
        #expect(!page.text.contains("form-error"), "no error box without an error")
    }
}

@Suite("Secrets")
struct SecretTests {
    @Test(arguments: [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")])
    func base64URLMatchesRFC4648Vectors(input: String, expected: String) {
        #expect(App.base64URL(Array(input.utf8)) == expected)
    }

    @Test func base64URLUsesTheURLSafeAlphabet() {
        #expect(App.base64URL([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test func randomTokensAre256BitsAndDiffer() {
        let tokens = Set((0..<100).map { _ in App.randomToken() })
        #expect(tokens.count == 100)
        #expect(tokens.allSatisfy { $0.count == 43 })
    }
}

@Suite("Stored hashes")
struct StoredHashTests {
    @Test func sessionTokensAreStoredAsTheSHA256HexPostgreSQLWouldCompute() {
        // FIPS 180-2 test vector for "abc".
        #expect(SessionStore.hash(token: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
