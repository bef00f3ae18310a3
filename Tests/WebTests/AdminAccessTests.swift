import Foundation
import HTTPServer
import Storage
import Testing
@testable import Web

@Suite("Admin: only admins reach /admin")
struct AdminAccessTests {
    /// Every admin route of issue 7 (and the two homes it took over), with real ids where one is needed.
    static func routes(user: Int64, appointment: Int64) -> [(method: String, path: String)] {
        [("GET", "/admin"), ("GET", "/admin/audit"), ("GET", "/admin/audit.csv"),
         ("GET", "/admin/users"), ("POST", "/admin/users"), ("GET", "/admin/users/new"), ("POST", "/admin/users/new"),
         ("GET", "/admin/users/\(user)"), ("POST", "/admin/users/\(user)"),
         ("POST", "/admin/users/\(user)/deactivate"), ("POST", "/admin/users/\(user)/reactivate"),
         ("POST", "/admin/users/\(user)/reset-password"), ("POST", "/admin/users/\(user)/unlock"),
         ("GET", "/admin/appointments"), ("GET", "/admin/appointments.csv"),
         ("GET", "/admin/appointments/\(appointment)"), ("POST", "/admin/appointments/\(appointment)/status")]
    }

    @Test(arguments: ["alice@example.org", "doctor.a@example.org"])
    func patientsAndDoctorsGet403OnEveryAdminRoute(email: String) throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = t.browser()
        b.signIn(email)
        b.get(email.hasPrefix("alice") ? "/patient" : "/doctor")  // a page of their own, for a valid CSRF token
        let before = try t.count("audit_log")
        let routes = Self.routes(user: f.bob, appointment: f.appointments[7])
        for (method, path) in routes {
            let response = method == "GET" ? b.get(path) : b.post(path, ["status": "cancelled", "reason": "x", "version": "1"])
            #expect(response.status == 403, "\(method) \(path) gave \(response.status)")
            #expect(response.stream == nil)
        }
        // Nothing changed; each refusal was recorded.
        #expect(try t.pool.withConnection { db in try UserStore().find(id: f.bob, on: db) }?.active == true)
        #expect(try t.count("audit_log") == before + routes.count)
        #expect(try t.auditActions().suffix(routes.count).allSatisfy { $0 == "security.forbidden" })
    }

    @Test func someoneSignedOutIsSentToTheLoginPage() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = t.browser()
        for (method, path) in Self.routes(user: f.bob, appointment: f.appointments[7]) where method == "GET" {
            let response = b.get(path)
            #expect(response.status == 303)
            #expect(response.location?.hasPrefix("/login?next=") == true)
        }
    }

    @Test func anAdminReachesEveryPage() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        for (method, path) in Self.routes(user: f.bob, appointment: f.appointments[7]) where method == "GET" {
            #expect(b.get(path).status == 200, "GET \(path)")
        }
        // The admin navigation links to the practice pages of issue 5.
        let nav = b.get("/admin").text
        for link in ["/admin/users", "/admin/appointments", "/admin/audit", "/admin/clinics", "/admin/appointment-types", "/admin/settings"] {
            #expect(nav.contains("href=\"\(link)\""), "missing \(link)")
        }
    }
}
