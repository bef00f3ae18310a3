import Foundation
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("Admin: clinics, booking policy, appointment types, doctor accounts")
struct AdminPracticeTests {
    /// A test app with a signed-in admin.
    private func admin() throws -> (TestApp, Browser) {
        let t = try TestApp()
        try t.createUser(.admin, email: "admin@test.example")
        let browser = t.browser()
        browser.signIn("admin@test.example")
        return (t, browser)
    }

    private let clinic = [
        "name": "Harbour Clinic", "address": "Kai 1, Hamburg", "phone": "+49 40 123", "timezone": "Europe/Berlin",
        "buffer_minutes": "10", "minimum_lead_minutes": "60", "horizon_days": "30", "late_cancel_hours": "12",
        "max_open_bookings": "3", "allow_late_cancel": "1",
    ]

    private func one<T: PostgresDecodable>(_ t: TestApp, _ sql: SQL, as type: T.Type = T.self) throws -> T {
        try t.pool.withConnection { db in try db.query(sql)[0].decode("v") }
    }

    @Test func anAdminCreatesAClinicWithItsPolicy() throws {
        let (t, admin) = try admin()
        let response = admin.submit(Routes.adminClinics, clinic)
        #expect(response.status == 303)
        #expect(try one(t, "SELECT timezone AS v FROM clinics", as: String.self) == "Europe/Berlin")
        #expect(try one(t, "SELECT buffer_minutes AS v FROM clinics", as: Int.self) == 10)
        #expect(try one(t, "SELECT allow_late_cancel AS v FROM clinics", as: Bool.self))
        #expect(try !one(t, "SELECT bookings_start_confirmed AS v FROM clinics", as: Bool.self))
        #expect(try t.auditActions().contains("clinic.created"))
        let list = admin.get(Routes.adminClinics).text
        #expect(list.contains("Harbour Clinic"))
        #expect(list.contains("Kai 1, Hamburg"))
    }

    @Test(arguments: [
        (["timezone": "Mars/Olympus"], "Enter a known IANA time zone name"),
        (["timezone": "GMT+2"], "Enter a known IANA time zone name"),
        (["name": ""], "This field is required."),
        (["buffer_minutes": "500"], "Enter a whole number from 0 to 240."),
        (["horizon_days": "0"], "Enter a whole number from 1 to 730."),
        (["late_cancel_hours": "-1"], "Enter a whole number from 0 to 336."),
        (["max_open_bookings": "many"], "Enter a whole number."),
    ])
    func anInvalidClinicIs422WithValuesKeptAndNothingWritten(overrides: [String: String], message: String) throws {
        let (t, admin) = try admin()
        let response = admin.submit(Routes.adminClinics, clinic.merging(overrides) { _, new in new })
        #expect(response.status == 422)
        #expect(response.text.contains(message))
        #expect(response.text.contains("aria-invalid=\"true\""))
        #expect(response.text.contains("Kai 1, Hamburg"))
        #expect(try t.count("clinics") == 0)
    }

    @Test func aDuplicateClinicNameIs422() throws {
        let (t, admin) = try admin()
        admin.submit(Routes.adminClinics, clinic)
        let response = admin.submit(Routes.adminClinics, clinic)
        #expect(response.status == 422)
        #expect(response.text.contains("This name is already in use."))
        #expect(try t.count("clinics") == 1)
    }

    @Test func anAdminEditsAClinic() throws {
        let (t, admin) = try admin()
        admin.submit(Routes.adminClinics, clinic)
        let id: Int64 = try one(t, "SELECT id AS v FROM clinics")
        #expect(admin.get(Routes.adminClinic(id)).text.contains("value=\"Harbour Clinic\""))
        var changed = clinic
        changed["timezone"] = "America/New_York"
        changed["allow_late_cancel"] = nil
        changed["bookings_start_confirmed"] = "1"
        #expect(admin.submit(Routes.adminClinic(id), changed).status == 303)
        #expect(try one(t, "SELECT timezone AS v FROM clinics", as: String.self) == "America/New_York")
        #expect(try !one(t, "SELECT allow_late_cancel AS v FROM clinics", as: Bool.self))
        #expect(try one(t, "SELECT bookings_start_confirmed AS v FROM clinics", as: Bool.self))
        #expect(try t.auditActions().contains("clinic.updated"))
        changed["timezone"] = "Nowhere"
        #expect(admin.submit(Routes.adminClinic(id), changed).status == 422)
        #expect(try one(t, "SELECT timezone AS v FROM clinics", as: String.self) == "America/New_York")
        #expect(admin.get(Routes.adminClinic(999)).status == 404)
    }

    @Test func theSettingsPageSavesAClinicsPolicy() throws {
        let (t, admin) = try admin()
        admin.submit(Routes.adminClinics, clinic)
        let id: Int64 = try one(t, "SELECT id AS v FROM clinics")
        let page = admin.get(Routes.adminSettings)
        #expect(page.text.contains("Harbour Clinic"))
        #expect(page.text.contains("name=\"buffer_minutes\""))
        var policy = clinic.filter { ["buffer_minutes", "minimum_lead_minutes", "horizon_days", "late_cancel_hours", "max_open_bookings"].contains($0.key) }
        policy["clinic_id"] = String(id)
        policy["horizon_days"] = "120"
        policy["bookings_start_confirmed"] = "1"
        let saved = admin.submit(Routes.adminSettings(clinic: id), to: Routes.adminSettings, policy)
        #expect(saved.status == 303)
        #expect(try one(t, "SELECT horizon_days AS v FROM clinics", as: Int.self) == 120)
        #expect(try one(t, "SELECT bookings_start_confirmed AS v FROM clinics", as: Bool.self))
        #expect(try t.auditActions().contains("clinic.policy_updated"))

        policy["minimum_lead_minutes"] = "50000"
        let refused = admin.submit(Routes.adminSettings(clinic: id), to: Routes.adminSettings, policy)
        #expect(refused.status == 422)
        #expect(refused.text.contains("Enter a whole number from 0 to 43200."))
        #expect(try one(t, "SELECT min_lead_minutes AS v FROM clinics", as: Int.self) == 60)
    }

    @Test func appointmentTypesAreCreatedEditedAndValidated() throws {
        let (t, admin) = try admin()
        let fields = ["name": "Vaccination", "default_minutes": "10", "min_minutes": "10", "max_minutes": "20", "bookable_online": "1"]
        #expect(admin.submit(Routes.adminAppointmentTypes, fields).status == 303)
        #expect(admin.get(Routes.adminAppointmentTypes).text.contains("Vaccination"))
        let id: Int64 = try one(t, "SELECT id AS v FROM appointment_types")

        var bad = fields
        bad["name"] = "Long visit"
        bad["min_minutes"] = "30"
        let disordered = admin.submit(Routes.adminAppointmentTypes, bad)
        #expect(disordered.status == 422)
        #expect(disordered.text.contains("The shortest length must not exceed the usual one"))
        let duplicate = admin.submit(Routes.adminAppointmentTypes, fields)
        #expect(duplicate.status == 422)
        #expect(duplicate.text.contains("This name is already in use."))
        bad = fields
        bad["max_minutes"] = "600"
        #expect(admin.submit(Routes.adminAppointmentTypes, bad).status == 422)
        #expect(try t.count("appointment_types") == 1)

        var edited = fields
        edited["bookable_online"] = nil
        edited["max_minutes"] = "30"
        #expect(admin.submit(Routes.adminAppointmentType(id), edited).status == 303)
        #expect(try !one(t, "SELECT bookable_online AS v FROM appointment_types", as: Bool.self))
        #expect(try one(t, "SELECT max_minutes AS v FROM appointment_types", as: Int.self) == 30)
        #expect(try t.auditActions().filter { $0.hasPrefix("appointment_type.") } == ["appointment_type.created", "appointment_type.updated"])
    }

    @Test func anAdminCreatesADoctorWhoMustChangeTheTemporaryPassword() throws {
        let (t, admin) = try admin()
        admin.submit(Routes.adminClinics, clinic)
        let clinicID: Int64 = try one(t, "SELECT id AS v FROM clinics")
        let response = admin.submit(Routes.adminNewDoctor, [
            "full_name": "Dr. Ines Roth", "email": "Ines.Roth@Clinic.Example", "specialty": "Cardiology",
            "bio": "Heart specialist.", "clinics": String(clinicID),
        ])
        #expect(response.status == 200)
        let password = try #require(response.text.range(of: "<code>").map { start in
            String(response.text[start.upperBound...].prefix { $0 != "<" })
        })
        #expect(password.count == 23)
        #expect(try one(t, "SELECT must_change_password AS v FROM users WHERE email = 'ines.roth@clinic.example'", as: Bool.self))
        #expect(try one(t, "SELECT specialty AS v FROM doctors", as: String.self) == "Cardiology")
        #expect(try one(t, "SELECT clinic_id AS v FROM doctor_clinics", as: Int64.self) == clinicID)
        #expect(try t.auditActions().contains("doctor.created"))
        #expect(try !t.auditActions().joined().contains(password))

        let doctor = t.browser()
        let signIn = doctor.signIn("ines.roth@clinic.example", password: password)
        #expect(signIn.location == Routes.profile(for: .doctor))
        #expect(doctor.get(Routes.doctorAvailability).location == Routes.profile(for: .doctor))
        #expect(doctor.get(Routes.doctorCalendar).location == Routes.profile(for: .doctor))
    }

    @Test(arguments: [
        (["email": "not-an-email"], "Enter an email address"),
        (["specialty": ""], "This field is required."),
        (["full_name": ""], "Enter your full name."),
        (["clinics": ""], "Choose at least one clinic."),
        (["clinics": "999"], "Choose at least one clinic."),
    ])
    func anInvalidDoctorIs422AndCreatesNoAccount(overrides: [String: String], message: String) throws {
        let (t, admin) = try admin()
        admin.submit(Routes.adminClinics, clinic)
        let clinicID: Int64 = try one(t, "SELECT id AS v FROM clinics")
        var fields = ["full_name": "Dr. Ines Roth", "email": "ines@clinic.example", "specialty": "Cardiology", "clinics": String(clinicID)]
        fields.merge(overrides) { _, new in new }
        if fields["clinics"] == "" { fields["clinics"] = nil }
        let response = admin.submit(Routes.adminNewDoctor, fields)
        #expect(response.status == 422)
        #expect(response.text.contains(message))
        #expect(try t.count("doctors") == 0)
        #expect(try one(t, "SELECT count(*)::int AS v FROM users WHERE role = 'doctor'", as: Int.self) == 0)
    }

    @Test func aDoctorWithATakenEmailIs422() throws {
        let (t, admin) = try admin()
        admin.submit(Routes.adminClinics, clinic)
        let clinicID: Int64 = try one(t, "SELECT id AS v FROM clinics")
        let response = admin.submit(Routes.adminNewDoctor, [
            "full_name": "Dr. Copy", "email": "admin@test.example", "specialty": "Cardiology", "clinics": String(clinicID),
        ])
        #expect(response.status == 422)
        #expect(response.text.contains("already exists"))
        #expect(try t.count("doctors") == 0)
    }

    @Test func patientsAndDoctorsGet403OnEveryAdminPracticeRoute() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "pat@test.example")
        try t.createUser(.doctor, email: "doc@test.example")
        let paths = [Routes.adminClinics, Routes.adminClinic(1), Routes.adminSettings, Routes.adminAppointmentTypes,
                     Routes.adminAppointmentType(1), Routes.adminNewDoctor]
        for email in ["pat@test.example", "doc@test.example"] {
            let browser = t.browser()
            browser.signIn(email)
            for path in paths {
                #expect(browser.get(path).status == 403)
                #expect(browser.post(path, ["name": "x"]).status == 403)
            }
        }
        #expect(try t.count("clinics") == 0)
        #expect(t.browser().get(Routes.adminClinics).status == 303)
    }
}
