import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("Admin: users")
struct AdminUsersTests {
    func setUp() throws -> (TestApp, Browser, Int64) { try TestApp.withSignedInAdmin() }

    /// The temporary password shown on the page, if any.
    func shownPassword(_ html: String) -> String? {
        guard let range = html.range(of: "<output id=\"temporary-password\" class=\"lead\"><code>") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "<" })
    }

    // MARK: - List

    @Test func searchMatchesNameOrEmailCaseInsensitivelyAndTakesWildcardsLiterally() throws {
        let (t, b, _) = try setUp()
        try t.createUser(.patient, email: "maria@example.org", name: "Maria Lopez")
        try t.createUser(.patient, email: "zed@lopez.example", name: "Zed Z")
        try t.createUser(.patient, email: "pct@example.org", name: "100% Sure")
        let page = b.get("/admin/users?q=LOPEZ")
        #expect(page.status == 200)
        #expect(page.text.contains("Maria Lopez") && page.text.contains("Zed Z"))
        #expect(!page.text.contains("Root Admin</a>"))
        let percent = b.get("/admin/users?q=%25")
        #expect(percent.text.contains("100% Sure"))
        #expect(!percent.text.contains("Maria Lopez"))
    }

    @Test func roleActiveAndLockedFiltersNarrowTheList() throws {
        let (t, b, _) = try setUp()
        try t.createUser(.doctor, email: "doc@example.org", name: "Doc Holiday")
        let gone = try t.createUser(.patient, email: "gone@example.org", name: "Gone Patient")
        let locked = try t.createUser(.patient, email: "locked@example.org", name: "Locked Patient")
        try t.pool.withConnection { db in
            try db.execute("UPDATE users SET active = false WHERE id = \(gone)")
            try db.execute("UPDATE users SET failed_logins = 5, locked_until = \(t.clock.now().addingTimeInterval(600)) WHERE id = \(locked)")
        }
        let doctors = b.get("/admin/users?role=doctor").text
        #expect(doctors.contains("Doc Holiday") && !doctors.contains("Gone Patient"))
        let inactive = b.get("/admin/users?active=no").text
        #expect(inactive.contains("Gone Patient") && !inactive.contains("Doc Holiday"))
        let lockedOnly = b.get("/admin/users?locked=yes").text
        #expect(lockedOnly.contains("Locked Patient") && !lockedOnly.contains("Doc Holiday"))
        let notLocked = b.get("/admin/users?locked=no&role=patient").text
        #expect(notLocked.contains("Gone Patient") && !notLocked.contains("Locked Patient"))
        // The lock lapses with time: ten minutes later nobody is locked.
        t.clock.advance(by: 601)
        b.signIn("root@example.org")
        #expect(b.get("/admin/users?locked=yes").text.contains("No account matches"))
    }

    @Test func pagesHaveFirstAndLastEdgesAndAnOutOfRangePageShowsTheLast() throws {
        let (t, b, _) = try setUp()
        for n in 0..<29 { try t.createUser(.patient, email: "p\(n)@example.org", name: String(format: "Patient %02d", n)) }
        let first = b.get("/admin/users?role=patient")
        #expect(first.text.contains("Page 1 of 2 (29 in all)"))
        #expect(first.text.contains("Patient 00") && first.text.contains("Patient 24") && !first.text.contains("Patient 25"))
        #expect(!first.text.contains("rel=\"prev\""))
        #expect(first.text.contains("/admin/users?role=patient&amp;page=2"))
        let last = b.get("/admin/users?role=patient&page=2")
        #expect(last.text.contains("Page 2 of 2"))
        #expect(last.text.contains("Patient 28") && !last.text.contains("Patient 24"))
        #expect(last.text.contains("rel=\"prev\"") && !last.text.contains("rel=\"next\""))
        #expect(b.get("/admin/users?role=patient&page=99").text.contains("Page 2 of 2"))
        #expect(b.get("/admin/users?role=patient&page=abc").text.contains("Page 1 of 2"))
        let empty = b.get("/admin/users?q=nobody-at-all")
        #expect(empty.text.contains("No account matches") && empty.text.contains("Page 1 of 1 (0 in all)"))
    }

    // MARK: - Create

    @Test func creatingAPatientShowsATemporaryPasswordOnceThatMustBeChanged() throws {
        let (t, b, _) = try setUp()
        let response = b.submit("/admin/users/new", ["role": "patient", "full_name": "New Person", "email": "New@Example.org",
                                                      "phone": "+49 30 5555", "date_of_birth": "1980-04-01"])
        #expect(response.status == 200)
        let password = try #require(shownPassword(response.text))
        #expect(password.count == 23)
        let user = try #require(try t.pool.withConnection { db in try UserStore().find(email: "new@example.org", on: db) })
        #expect(user.role == .patient && user.mustChangePassword && user.dateOfBirth?.description == "1980-04-01")
        #expect(try t.auditActions().contains("user.created"))
        // The page is the only place it appears: the account page does not show it.
        #expect(!b.get("/admin/users/\(user.id)").text.contains(password))
        let newcomer = t.browser()
        let signIn = newcomer.signIn("new@example.org", password: password)
        #expect(signIn.location == "/patient/profile")
        #expect(newcomer.get("/patient").location == "/patient/profile")
    }

    @Test func creatingAnAdminWorksAndADoctorIsSentToItsOwnForm() throws {
        let (t, b, _) = try setUp()
        #expect(b.submit("/admin/users/new", ["role": "admin", "full_name": "Second Admin", "email": "two@example.org"]).status == 200)
        #expect(try t.pool.withConnection { db in try UserStore().find(email: "two@example.org", on: db) }?.role == .admin)
        let doctor = b.submit("/admin/users/new", ["role": "doctor", "full_name": "Doc", "email": "doc@example.org"])
        #expect(doctor.status == 422)
        #expect(doctor.text.contains("id=\"role-error\""))
        #expect(doctor.text.contains("href=\"/admin/doctors/new\""))
    }

    @Test func invalidOrDuplicateInputIs422WithValuesKeptAndNothingWritten() throws {
        let (t, b, _) = try setUp()
        let before = try t.count("users")
        let invalid = b.submit("/admin/users/new", ["role": "patient", "full_name": "", "email": "not-an-email",
                                                     "phone": "call me", "date_of_birth": "2999-01-01"])
        #expect(invalid.status == 422)
        for field in ["full_name", "email", "phone", "date_of_birth"] {
            #expect(invalid.text.contains("id=\"\(field)-error\""), "missing message for \(field)")
            #expect(invalid.text.contains("aria-describedby=\"\(field)-error\""))
        }
        #expect(invalid.text.contains("value=\"not-an-email\""))
        let taken = b.submit("/admin/users/new", ["role": "patient", "full_name": "Again", "email": "ROOT@example.org"])
        #expect(taken.status == 422)
        #expect(taken.text.contains("already exists"))
        #expect(try t.count("users") == before)
    }

    // MARK: - Edit and actions

    @Test func editingSavesNamePhoneAndTheRolesOwnFields() throws {
        let (t, b, _) = try setUp()
        let patient = try t.createUser(.patient, email: "pat@example.org", name: "Pat Old")
        let saved = b.submit("/admin/users/\(patient)", ["full_name": "Pat New", "phone": "030 1234", "date_of_birth": "1975-12-31"])
        #expect(saved.status == 303)
        let user = try #require(try t.pool.withConnection { db in try UserStore().find(id: patient, on: db) })
        #expect(user.fullName == "Pat New" && user.phone == "030 1234" && user.dateOfBirth?.description == "1975-12-31")
        #expect(try t.auditActions().last == "user.updated")

        let doctorUser = try t.createUser(.doctor, email: "d@example.org", name: "Dr Who")
        try t.pool.withConnection { db in try db.execute("INSERT INTO doctors (user_id, specialty) VALUES (\(doctorUser), 'GP')") }
        #expect(b.get("/admin/users/\(doctorUser)").text.contains("value=\"GP\""))
        #expect(b.submit("/admin/users/\(doctorUser)", ["full_name": "Dr Who", "specialty": "Cardiology", "bio": "Hearts."]).status == 303)
        let fields = try t.pool.withConnection { db in try AdminUserStore().doctorFields(userID: doctorUser, on: db) }
        #expect(fields == DoctorFields(specialty: "Cardiology", bio: "Hearts."))
        let missing = b.submit("/admin/users/\(doctorUser)", ["full_name": "Dr Who", "specialty": ""])
        #expect(missing.status == 422 && missing.text.contains("id=\"specialty-error\""))
        #expect(b.get("/admin/users/999999").status == 404)
    }

    @Test func deactivationEndsTheSessionsAtOnceRefusesSignInAndKeepsAppointments() throws {
        let (t, b, _) = try setUp()
        let f = try AdminFixture.seed(t)
        let patient = t.browser()
        patient.signIn("alice@example.org")
        #expect(patient.get("/patient").status == 200)
        let appointmentsBefore = try t.count("appointments")
        #expect(b.submit("/admin/users/\(f.alice)", to: "/admin/users/\(f.alice)/deactivate", [:]).status == 303)
        #expect(patient.get("/patient").status == 303)  // back to the login page: the session is gone
        #expect(t.browser().signIn("alice@example.org").status == 422)
        #expect(try t.count("appointments") == appointmentsBefore)
        #expect(try t.auditActions().contains("user.deactivated"))
        #expect(b.submit("/admin/users/\(f.alice)", to: "/admin/users/\(f.alice)/reactivate", [:]).status == 303)
        #expect(t.browser().signIn("alice@example.org").status == 303)
        #expect(try t.auditActions().contains("user.reactivated"))
    }

    @Test func anAdminCannotDeactivateOrResetThemselves() throws {
        let (t, b, admin) = try setUp()
        let page = b.get("/admin/users/\(admin)")
        #expect(!page.text.contains("/deactivate\""))
        #expect(b.post("/admin/users/\(admin)/deactivate", [:]).status == 409)
        #expect(b.post("/admin/users/\(admin)/reset-password", [:]).status == 409)
        #expect(try t.pool.withConnection { db in try UserStore().find(id: admin, on: db) }?.active == true)
    }

    @Test func aPasswordResetShowsANewTemporaryPasswordAndEndsTheOldOnesSessions() throws {
        let (t, b, _) = try setUp()
        let id = try t.createUser(.patient, email: "forgot@example.org", name: "Forgetful Fred")
        let fred = t.browser()
        fred.signIn("forgot@example.org")
        let reset = b.submit("/admin/users/\(id)", to: "/admin/users/\(id)/reset-password", [:])
        #expect(reset.status == 200)
        let password = try #require(shownPassword(reset.text))
        #expect(fred.get("/patient").status == 303)
        #expect(t.browser().signIn("forgot@example.org").status == 422)  // the old password is gone
        let again = t.browser()
        #expect(again.signIn("forgot@example.org", password: password).location == "/patient/profile")
        #expect(try t.auditActions().contains("user.password_reset"))
    }

    @Test func unlockingLiftsALockAfterRepeatedFailures() throws {
        let (t, b, _) = try setUp()
        let id = try t.createUser(.patient, email: "clumsy@example.org", name: "Clumsy")
        for _ in 0..<5 { t.browser(ip: "10.0.0.9").signIn("clumsy@example.org", password: "wrong wrong wrong") }
        #expect(t.browser().signIn("clumsy@example.org").status == 422)  // locked, right password or not
        let page = b.get("/admin/users/\(id)")
        #expect(page.text.contains("/admin/users/\(id)/unlock"))
        #expect(b.post("/admin/users/\(id)/unlock", [:]).status == 303)
        #expect(t.browser().signIn("clumsy@example.org").status == 303)
        #expect(try t.auditActions().contains("user.unlocked"))
    }

    @Test func everyAccountActionNeedsTheCSRFToken() throws {
        let (t, b, _) = try setUp()
        let id = try t.createUser(.patient, email: "x@example.org")
        b.get("/admin/users/\(id)")
        #expect(b.post("/admin/users/\(id)/deactivate", [:], csrf: false).status == 403)
        #expect(try t.pool.withConnection { db in try UserStore().find(id: id, on: db) }?.active == true)
    }
}
