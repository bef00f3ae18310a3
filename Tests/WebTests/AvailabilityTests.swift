import Foundation
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

/// A clinic, a signed-in doctor working there and helpers to place blocks and appointments directly.
///
/// Clock: the TestApp default, Wednesday 2026-06-10 08:00 UTC (10:00 in Berlin, CEST).
final class AvailabilityWorld {
    let t: TestApp
    let zone: TimeZone
    let clinicID: Int64
    let doctorUserID: Int64
    let doctorID: Int64
    let doctor: Browser
    private var patients = 0

    init(zone: String = "Europe/Berlin", now: Date? = nil) throws {
        t = try now.map { try TestApp(now: $0) } ?? TestApp()
        self.zone = TimeZone(identifier: zone)!
        clinicID = try t.pool.withConnection { db in
            try db.query("INSERT INTO clinics (name, timezone) VALUES ('Riverside', \(zone)) RETURNING id")[0].decode("id")
        }
        (doctorUserID, doctorID) = try Self.addDoctor(t, email: "doc@test.example", clinicID: clinicID)
        doctor = t.browser()
        doctor.signIn("doc@test.example")
    }

    /// A doctor account with a doctor row working at `clinicID`.
    static func addDoctor(_ t: TestApp, email: String, clinicID: Int64) throws -> (userID: Int64, doctorID: Int64) {
        let userID = try t.createUser(.doctor, email: email, name: "Dr. " + email)
        let doctorID: Int64 = try t.pool.withConnection { db in
            let id: Int64 = try db.query("INSERT INTO doctors (user_id, specialty) VALUES (\(userID), 'General') RETURNING id")[0].decode("id")
            try db.execute("INSERT INTO doctor_clinics (doctor_id, clinic_id) VALUES (\(id), \(clinicID))")
            return id
        }
        return (userID, doctorID)
    }

    /// The instant of local `time` on `date` at the clinic.
    func local(_ date: String, _ time: String) -> Date {
        instant(of: LocalDate(iso: date)!, LocalTime(hhmm: time)!, in: zone)!
    }

    /// A block inserted directly; returns its id.
    @discardableResult
    func block(_ date: String, _ time: String, minutes: Int = 20, capacity: Int = 1, open: Bool = true, doctorID: Int64? = nil) throws -> Int64 {
        let start = local(date, time)
        return try t.pool.withConnection { db in
            try db.query("""
                INSERT INTO time_blocks (doctor_id, clinic_id, starts_at, ends_at, capacity, open)
                VALUES (\(doctorID ?? self.doctorID), \(clinicID), \(start), \(start.addingTimeInterval(TimeInterval(minutes * 60))),
                        \(capacity), \(open)) RETURNING id
                """)[0].decode("id")
        }
    }

    /// A new patient account.
    func patient(name: String? = nil) throws -> Int64 {
        patients += 1
        return try t.createUser(.patient, email: "patient\(patients)@test.example", name: name ?? "Patient Number\(patients)")
    }

    /// An appointment in `blockID` inserted directly (as the booking feature would), copying the block's times.
    @discardableResult
    func appointment(block blockID: Int64, patient: Int64? = nil, status: String = "confirmed", reason: String = "Sore throat") throws -> Int64 {
        let patientID = try patient ?? self.patient()
        return try t.pool.withConnection { db in
            try db.query("""
                INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, reason)
                SELECT id, \(patientID), doctor_id, clinic_id, starts_at, ends_at, \(status), \(reason) FROM time_blocks WHERE id = \(blockID)
                RETURNING id
                """)[0].decode("id")
        }
    }

    func value<T: PostgresDecodable>(_ sql: SQL, as type: T.Type = T.self) throws -> T {
        try t.pool.withConnection { db in try db.query(sql)[0].decode("v") }
    }

    func count(_ sql: SQL) throws -> Int { try value(sql) }
}

@Suite("Doctor availability: patterns, blocks, time off")
struct AvailabilityTests {
    let page = Routes.doctorAvailability

    @Test func availabilityPageListsPatternsBlocksAndTimeOffWithTheZoneNamed() throws {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-12", "09:00", capacity: 3)
        try w.appointment(block: block)
        try w.t.pool.withConnection { db in
            try db.execute("""
                INSERT INTO weekly_patterns (doctor_id, clinic_id, weekday, start_time, end_time, slot_minutes, capacity, valid_from)
                VALUES (\(w.doctorID), \(w.clinicID), 2, '09:00', '12:00', 30, 1, '2026-06-01')
                """)
            try db.execute("INSERT INTO time_off (doctor_id, starts_at, ends_at, reason) VALUES (\(w.doctorID), \(w.local("2026-06-20", "00:00")), \(w.local("2026-06-22", "00:00")), 'Congress')")
        }
        let response = w.doctor.get(page)
        #expect(response.status == 200)
        #expect(response.text.contains("Tuesday"))
        #expect(response.text.contains("09:00–12:00"))
        #expect(response.text.contains("09:00–09:20"))
        #expect(response.text.contains("1 / 3"))
        #expect(response.text.contains("Partly booked"))
        #expect(response.text.contains("Congress"))
        #expect(response.text.contains("Europe/Berlin"))
    }

    @Test func aValidPatternIsSavedAndAudited() throws {
        let w = try AvailabilityWorld()
        let response = w.doctor.submit(page, to: Routes.doctorPatterns, [
            "clinic_id": String(w.clinicID), "weekday": "3", "start": "08:30", "end": "12:00", "slot_minutes": "30",
            "capacity": "1", "valid_from": "2026-06-10", "valid_to": "",
        ])
        #expect(response.status == 303)
        #expect(response.location == page)
        #expect(try w.count("SELECT count(*)::int AS v FROM weekly_patterns WHERE weekday = 3 AND start_time = '08:30' AND valid_to IS NULL") == 1)
        #expect(try w.t.auditActions().contains("pattern.created"))
    }

    @Test(arguments: [
        (["start": "12:00", "end": "09:00"], "The end must be after the start."),
        (["slot_minutes": "0"], "Enter a whole number from 5 to 720."),
        (["slot_minutes": "600", "end": "23:00", "start": "08:00"], "This value is outside the allowed range."),
        (["slot_minutes": "twenty"], "Enter a whole number."),
        (["valid_from": "2026-02-30"], "Enter a real date as YYYY-MM-DD."),
        (["valid_to": "2026-06-01"], "The last day must not be before the first day."),
        (["start": "9am"], "Enter a time as HH:MM (24-hour clock)."),
        (["weekday": "8"], "Choose a day of the week."),
    ])
    func anInvalidPatternIs422WithTheMessageAndNothingWritten(overrides: [String: String], message: String) throws {
        let w = try AvailabilityWorld()
        var fields = ["clinic_id": String(w.clinicID), "weekday": "3", "start": "09:00", "end": "12:00", "slot_minutes": "30",
                      "capacity": "1", "valid_from": "2026-06-10"]
        fields.merge(overrides) { _, new in new }
        let response = w.doctor.submit(page, to: Routes.doctorPatterns, fields)
        #expect(response.status == 422)
        #expect(response.text.contains(message))
        #expect(response.text.contains("aria-invalid=\"true\""))
        #expect(try w.t.count("weekly_patterns") == 0)
    }

    @Test func aPatternAtAClinicTheDoctorDoesNotWorkAtIsRefused() throws {
        let w = try AvailabilityWorld()
        let other: Int64 = try w.t.pool.withConnection { db in
            try db.query("INSERT INTO clinics (name, timezone) VALUES ('Elsewhere', 'UTC') RETURNING id")[0].decode("id")
        }
        let response = w.doctor.submit(page, to: Routes.doctorPatterns, [
            "clinic_id": String(other), "weekday": "3", "start": "09:00", "end": "12:00", "slot_minutes": "30",
            "capacity": "1", "valid_from": "2026-06-10",
        ])
        #expect(response.status == 422)
        #expect(response.text.contains("Choose one of the clinics you work at."))
        #expect(try w.t.count("weekly_patterns") == 0)
    }

    @Test func generatingTwiceCreatesNoDuplicatesAndKeepsBookedBlocks() throws {
        let w = try AvailabilityWorld()
        w.doctor.submit(page, to: Routes.doctorPatterns, [
            "clinic_id": String(w.clinicID), "weekday": "4", "start": "09:00", "end": "10:00", "slot_minutes": "20",
            "capacity": "1", "valid_from": "2026-06-01",
        ])
        let first = w.doctor.submit(page, to: Routes.doctorGenerateBlocks, ["weeks": "2"])
        #expect(first.status == 303)
        #expect(first.location == page + "?generated=6")
        #expect(try w.t.count("time_blocks") == 6)
        let bookedBlock: Int64 = try w.value("SELECT id AS v FROM time_blocks ORDER BY starts_at LIMIT 1")
        let bookedStart: Date = try w.value("SELECT starts_at AS v FROM time_blocks WHERE id = \(bookedBlock)")
        try w.appointment(block: bookedBlock)

        let second = w.doctor.submit(page, to: Routes.doctorGenerateBlocks, ["weeks": "2"])
        #expect(second.location == page + "?generated=0")
        #expect(try w.t.count("time_blocks") == 6)
        #expect(try w.value("SELECT starts_at AS v FROM time_blocks WHERE id = \(bookedBlock)", as: Date.self) == bookedStart)
        #expect(try w.count("SELECT booked AS v FROM time_blocks WHERE id = \(bookedBlock)") == 1)
        // Thursday 2026-06-11, 09:00 Berlin = 07:00 UTC.
        #expect(bookedStart == Date(timeIntervalSince1970: 1_781_161_200))
        #expect(w.doctor.get(second.location!).text.contains("0 new blocks were created"))

        let third = w.doctor.submit(page, to: Routes.doctorGenerateBlocks, ["weeks": "3"])
        #expect(third.location == page + "?generated=3")
        #expect(try w.t.auditActions().filter { $0 == "blocks.generated" }.count == 3)
    }

    @Test(arguments: ["0", "13", "abc", ""])
    func generatingAnOutOfRangeNumberOfWeeksIs422(weeks: String) throws {
        let w = try AvailabilityWorld()
        let response = w.doctor.submit(page, to: Routes.doctorGenerateBlocks, ["weeks": weeks])
        #expect(response.status == 422)
        #expect(response.text.contains("Enter a whole number from 1 to 12."))
        #expect(try w.t.count("time_blocks") == 0)
    }

    @Test func aOneOffBlockIsCreatedInTheClinicsLocalTime() throws {
        let w = try AvailabilityWorld()
        let response = w.doctor.submit(page, to: Routes.doctorBlocks, [
            "clinic_id": String(w.clinicID), "date": "2026-06-15", "start": "14:00", "end": "15:30", "capacity": "4",
        ])
        #expect(response.status == 303)
        let start: Date = try w.value("SELECT starts_at AS v FROM time_blocks")
        #expect(start == w.local("2026-06-15", "14:00"))
        #expect(try w.count("SELECT capacity AS v FROM time_blocks") == 4)
        #expect(try w.t.auditActions().contains("block.created"))
    }

    @Test func anOverlappingOneOffBlockIs422AndNothingIsWritten() throws {
        let w = try AvailabilityWorld()
        try w.block("2026-06-15", "14:00", minutes: 60)
        let response = w.doctor.submit(page, to: Routes.doctorBlocks, [
            "clinic_id": String(w.clinicID), "date": "2026-06-15", "start": "14:30", "end": "15:30", "capacity": "1",
        ])
        #expect(response.status == 422)
        #expect(response.text.contains("overlaps another of your blocks"))
        #expect(response.text.contains("value=\"14:30\""))
        #expect(try w.t.count("time_blocks") == 1)
        #expect(try !w.t.auditActions().contains("block.created"))
    }

    @Test(arguments: [
        (["end": "13:00"], "The end must be after the start."),
        (["date": "2026-06-01"], "The block must start in the future."),
        (["capacity": "0"], "This value is outside the allowed range."),
        (["capacity": "101"], "This value is outside the allowed range."),
        (["date": "15.06.2026"], "Enter a real date as YYYY-MM-DD."),
        (["clinic_id": "999"], "Choose one of the clinics you work at."),
    ])
    func aBadOneOffBlockIs422(overrides: [String: String], message: String) throws {
        let w = try AvailabilityWorld()
        var fields = ["clinic_id": String(w.clinicID), "date": "2026-06-15", "start": "14:00", "end": "15:00", "capacity": "1"]
        fields.merge(overrides) { _, new in new }
        let response = w.doctor.submit(page, to: Routes.doctorBlocks, fields)
        #expect(response.status == 422)
        #expect(response.text.contains(message))
        #expect(try w.t.count("time_blocks") == 0)
    }

    @Test func aOneOffBlockAtATimeSkippedBySpringForwardIs422() throws {
        let w = try AvailabilityWorld(now: Date(timeIntervalSince1970: 1_774_000_000))  // 2026-03-20
        let response = w.doctor.submit(page, to: Routes.doctorBlocks, [
            "clinic_id": String(w.clinicID), "date": "2026-03-29", "start": "02:30", "end": "03:30", "capacity": "1",
        ])
        #expect(response.status == 422)
        #expect(response.text.contains("daylight saving time begins"))
        #expect(try w.t.count("time_blocks") == 0)
    }

    @Test func aFreeBlockIsDeleted() throws {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-15", "09:00")
        let response = w.doctor.submit(page, to: Routes.doctorDeleteBlock(block), [:])
        #expect(response.status == 303)
        #expect(try w.t.count("time_blocks") == 0)
        #expect(try w.t.auditActions().contains("block.deleted"))
    }

    @Test func deletingABookedBlockWithoutAReasonIsRefusedAndChangesNothing() throws {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-15", "09:00")
        let patient = try w.patient(name: "Greta Booked")
        let appointment = try w.appointment(block: block, patient: patient)
        let response = w.doctor.submit(page, to: Routes.doctorDeleteBlock(block), [:])
        #expect(response.status == 409)
        #expect(response.text.contains("Greta Booked"))
        #expect(response.text.contains("name=\"cancel_reason\""))
        #expect(try w.t.count("time_blocks") == 1)
        #expect(try w.count("SELECT count(*)::int AS v FROM appointments WHERE id = \(appointment) AND status = 'confirmed'") == 1)
    }

    @Test func deletingABookedBlockWithAReasonCancelsItsAppointmentsInTheSameStep() throws {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-15", "09:00", capacity: 2)
        let first = try w.appointment(block: block)
        let second = try w.appointment(block: block, status: "pending")
        let response = w.doctor.submit(page, to: Routes.doctorDeleteBlock(block), ["cancel_reason": "Doctor is ill"])
        #expect(response.status == 303)
        for id in [first, second] {
            #expect(try w.value("SELECT status AS v FROM appointments WHERE id = \(id)", as: String.self) == "cancelled")
            #expect(try w.value("SELECT cancel_reason AS v FROM appointments WHERE id = \(id)", as: String.self) == "Doctor is ill")
            #expect(try w.value("SELECT cancelled_by AS v FROM appointments WHERE id = \(id)", as: Int64.self) == w.doctorUserID)
        }
        // The cancelled appointments keep referring to the block, so it is closed rather than deleted.
        #expect(try w.count("SELECT count(*)::int AS v FROM time_blocks WHERE id = \(block) AND NOT open AND booked = 0") == 1)
        let actions = try w.t.auditActions()
        #expect(actions.filter { $0 == "appointment.cancelled" }.count == 2)
        #expect(actions.contains("block.closed"))
    }

    @Test func aBlockWhoseAppointmentHasStartedCannotBeRemoved() throws {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-10", "09:00")
        try w.appointment(block: block, status: "arrived")
        let response = w.doctor.submit(page, to: Routes.doctorDeleteBlock(block), ["cancel_reason": "Oops"])
        #expect(response.status == 409)
        #expect(response.text.contains("already begun"))
        #expect(try w.t.count("time_blocks") == 1)
    }

    @Test func anotherDoctorsBlockCannotBeDeleted() throws {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-15", "09:00")
        try AvailabilityWorld.addDoctor(w.t, email: "other@test.example", clinicID: w.clinicID)
        let other = w.t.browser()
        other.signIn("other@test.example")
        let response = other.submit(page, to: Routes.doctorDeleteBlock(block), ["cancel_reason": "Mine now"])
        #expect(response.status == 404)
        #expect(try w.t.count("time_blocks") == 1)
    }

    @Test func timeOffClosesTheBlocksInsideItAndListsTheAppointmentsThere() throws {
        let w = try AvailabilityWorld()
        let inside = try w.block("2026-06-16", "09:00")
        let booked = try w.block("2026-06-17", "11:00")
        let outside = try w.block("2026-06-19", "09:00")
        try w.appointment(block: booked, patient: try w.patient(name: "Hanna Inside"))
        let response = w.doctor.submit(page, to: Routes.doctorTimeOff, [
            "clinic_id": String(w.clinicID), "start_date": "2026-06-16", "start_time": "", "end_date": "2026-06-18",
            "end_time": "", "reason": "Medical congress",
        ])
        #expect(response.status == 303)
        #expect(try w.value("SELECT starts_at AS v FROM time_off", as: Date.self) == w.local("2026-06-16", "00:00"))
        #expect(try w.value("SELECT ends_at AS v FROM time_off", as: Date.self) == w.local("2026-06-19", "00:00"))
        #expect(try w.count("SELECT count(*)::int AS v FROM time_blocks WHERE NOT open") == 2)
        #expect(try w.count("SELECT count(*)::int AS v FROM time_blocks WHERE id = \(outside) AND open") == 1)
        #expect(try w.count("SELECT count(*)::int AS v FROM time_blocks WHERE id = \(inside) AND NOT open") == 1)
        // The booked appointment stays (the doctor decides), and is listed for action.
        #expect(try w.count("SELECT count(*)::int AS v FROM appointments WHERE status = 'confirmed'") == 1)
        let list = w.doctor.get(page).text
        #expect(list.contains("Medical congress"))
        #expect(list.contains("Hanna Inside"))
        #expect(try w.t.auditActions().contains("time_off.created"))

        // Blocks generated later inside the time off start closed.
        try w.t.pool.withConnection { db in
            try db.execute("""
                INSERT INTO weekly_patterns (doctor_id, clinic_id, weekday, start_time, end_time, slot_minutes, capacity, valid_from)
                VALUES (\(w.doctorID), \(w.clinicID), 3, '14:00', '15:00', 60, 1, '2026-06-01')
                """)
        }
        w.doctor.submit(page, to: Routes.doctorGenerateBlocks, ["weeks": "2"])
        #expect(try w.count("SELECT count(*)::int AS v FROM time_blocks WHERE starts_at = \(w.local("2026-06-17", "14:00")) AND NOT open") == 1)
    }

    @Test(arguments: [
        (["end_date": "2026-06-15"], "The end must be after the start."),
        (["start_time": "10:00", "end_date": "2026-06-16", "end_time": "09:00"], "The end must be after the start."),
        (["reason": ""], "Enter a reason."),
        (["start_date": "soon"], "Enter a real date as YYYY-MM-DD."),
        (["end_time": "25:00"], "Enter a time as HH:MM (24-hour clock)."),
    ])
    func badTimeOffIs422AndNothingIsWritten(overrides: [String: String], message: String) throws {
        let w = try AvailabilityWorld()
        try w.block("2026-06-16", "09:00")
        var fields = ["clinic_id": String(w.clinicID), "start_date": "2026-06-16", "end_date": "2026-06-16", "reason": "Away"]
        fields.merge(overrides) { _, new in new }
        let response = w.doctor.submit(page, to: Routes.doctorTimeOff, fields)
        #expect(response.status == 422)
        #expect(response.text.contains(message))
        #expect(try w.t.count("time_off") == 0)
        #expect(try w.count("SELECT count(*)::int AS v FROM time_blocks WHERE open") == 1)
    }

    @Test func patientsAndAdminsCannotReachTheDoctorsPages() throws {
        let w = try AvailabilityWorld()
        try w.t.createUser(.patient, email: "pat@test.example")
        try w.t.createUser(.admin, email: "adm@test.example")
        for email in ["pat@test.example", "adm@test.example"] {
            let browser = w.t.browser()
            browser.signIn(email)
            #expect(browser.get(page).status == 403)
            #expect(browser.get(Routes.doctorHome).status == 403)
            #expect(browser.post(Routes.doctorGenerateBlocks, ["weeks": "2"]).status == 403)
        }
        #expect(w.t.browser().get(page).status == 303)
    }

    @Test func aDoctorWithATemporaryPasswordIsSentToTheProfileFirst() throws {
        let t = try TestApp()
        try t.createUser(.doctor, email: "new@test.example", mustChangePassword: true)
        let browser = t.browser()
        browser.signIn("new@test.example")
        for path in [Routes.doctorHome, Routes.doctorAvailability, Routes.doctorCalendar, Routes.doctorAppointment(1)] {
            let response = browser.get(path)
            #expect(response.status == 303)
            #expect(response.location == Routes.profile(for: .doctor))
        }
    }
}
