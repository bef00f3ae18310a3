import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("Booking a block")
struct BookingTests {
    // The harness clock starts Wednesday 2026-06-10 08:00 UTC (10:00 in Berlin); Monday 15 June is 5 days ahead.
    static let monday = LocalDate(year: 2026, month: 6, day: 15)

    @Test func bookingFormOffersOnlyOnlineTypesWhoseDurationFitsTheBlock() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        let (_, browser) = try world.patient(1)
        let page = browser.get(Routes.book(block))
        #expect(page.status == 200)
        #expect(page.text.contains("Consultation"))
        #expect(!page.text.contains("Long examination"))  // 45–90 minutes: a 20-minute block is too short
        #expect(!page.text.contains("Minor procedure"))   // not bookable online
        #expect(world.bookingKey(in: page.text) != nil)
        #expect(page.text.contains("Europe/Berlin"))
        #expect(page.text.contains("09:00"))
    }

    @Test func eachRenderOfTheFormCarriesAFreshBookingKey() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        let (_, browser) = try world.patient(1)
        let first = world.bookingKey(in: browser.get(Routes.book(block)).text)
        let second = world.bookingKey(in: browser.get(Routes.book(block)).text)
        #expect(first != nil && second != nil && first != second)
    }

    @Test func bookingCreatesAPendingAppointmentCopiesTheBlockTimesAndLandsOnItsPage() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        let (patientID, browser) = try world.patient(1)
        let response = world.book(browser, block, reason: "Persistent cough", notes: "Since May")
        #expect(response.status == 303)
        let location = try #require(response.location)
        #expect(location.hasPrefix("/patient/appointments/"))
        let row = try world.row("SELECT * FROM appointments WHERE patient_id = \(patientID)")
        #expect(try row.decode("status", as: String.self) == "pending")
        #expect(try row.decode("reason", as: String.self) == "Persistent cough")
        #expect(try row.decode("patient_notes", as: String.self) == "Since May")
        #expect(try row.decode("starts_at", as: Date.self) == world.instant(Self.monday, "09:00"))
        #expect(try row.decode("ends_at", as: Date.self) == world.instant(Self.monday, "09:20"))
        #expect(try world.booked(block) == 1)
        #expect(try world.t.auditActions().contains("appointment.booked"))
        let page = browser.get(location)
        #expect(page.status == 200)
        #expect(page.text.contains("Your appointment is booked."))
        #expect(page.text.contains("Persistent cough"))
    }

    @Test func bookingStartsConfirmedWhenTheClinicPolicySaysSo() throws {
        let world = try BookingWorld()
        try world.policy("bookings_start_confirmed = true")
        let block = try world.block(Self.monday, "09:00")
        let (patientID, browser) = try world.patient(1)
        #expect(world.book(browser, block).status == 303)
        #expect(try world.row("SELECT status FROM appointments WHERE patient_id = \(patientID)").decode("status", as: String.self) == "confirmed")
    }

    @Test func invalidFormIsShownAgainWith422AndKeptValuesAndWritesNothing() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        let (_, browser) = try world.patient(1)
        let page = browser.get(Routes.book(block))
        let key = try #require(world.bookingKey(in: page.text))
        let missingReason = browser.post(Routes.book(block), ["appointment_type": String(world.consultationTypeID), "reason": " ",
                                                              "patient_notes": "keep me", "booking_key": key])
        #expect(missingReason.status == 422)
        #expect(missingReason.text.contains("Tell us briefly why you are coming."))
        #expect(missingReason.text.contains("keep me"))
        #expect(missingReason.text.contains("aria-describedby=\"reason-hint reason-error\""))
        let tooLong = browser.post(Routes.book(block), ["appointment_type": String(world.consultationTypeID),
                                                        "reason": String(repeating: "x", count: 501), "booking_key": key])
        #expect(tooLong.status == 422)
        let wrongType = browser.post(Routes.book(block), ["appointment_type": String(world.procedureTypeID), "reason": "x", "booking_key": key])
        #expect(wrongType.status == 422)
        #expect(wrongType.text.contains("Choose a type of appointment from the list."))
        let longNotes = browser.post(Routes.book(block), ["appointment_type": String(world.consultationTypeID), "reason": "x",
                                                          "patient_notes": String(repeating: "n", count: 2001), "booking_key": key])
        #expect(longNotes.status == 422)
        #expect(try world.t.count("appointments") == 0)
        #expect(try world.booked(block) == 0)
    }

    // MARK: - Refusals write nothing

    @Test func blockInsideTheLeadTimeIsRefused() throws {
        let world = try BookingWorld()
        // Today 11:00 Berlin = 09:00 UTC, one hour from now; the lead time is two hours.
        let block = try world.block(LocalDate(year: 2026, month: 6, day: 10), "11:00")
        let response = try world.expectRefusal(block: block)
        #expect(response.text.contains("too soon"))
    }

    @Test func blockBeyondTheHorizonIsRefused() throws {
        let world = try BookingWorld()
        let block = try world.block(LocalDate(year: 2026, month: 9, day: 14), "09:00")  // 96 days ahead, horizon 90
        let response = try world.expectRefusal(block: block)
        #expect(response.text.contains("too far ahead"))
    }

    @Test func fullBlockIsRefusedAsJustTakenWithTheNearestFreeTimes() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        let other = try world.block(Self.monday, "09:20")
        let (firstID, _) = try world.patient(2)
        try world.appointment(patientID: firstID, blockID: block)
        let response = try world.expectRefusal(block: block)
        #expect(response.text.contains("Just taken"))
        #expect(response.text.contains(Routes.book(other)))
        #expect(try world.booked(block) == 1)
    }

    @Test func overlapWithThePatientsOwnAppointmentIsRefused() throws {
        let world = try BookingWorld()
        let otherDoctor = try world.addDoctor(email: "second@test.example", name: "Dr. Second", specialty: "Dermatology")
        let mine = try world.block(Self.monday, "09:00", doctorID: otherDoctor)
        let block = try world.block(Self.monday, "09:10", minutes: 20)
        let (patientID, browser) = try world.patient(1)
        try world.appointment(patientID: patientID, blockID: mine)
        let response = try world.expectRefusal(block: block, browser: browser)
        #expect(response.text.contains("You already hold an appointment at this time."))
    }

    @Test func moreOpenBookingsThanThePolicyAllowsIsRefused() throws {
        let world = try BookingWorld()
        try world.policy("max_open_bookings = 1")
        let first = try world.block(Self.monday, "09:00")
        let second = try world.block(Self.monday, "10:00")
        let (patientID, browser) = try world.patient(1)
        try world.appointment(patientID: patientID, blockID: first)
        let response = try world.expectRefusal(block: second, browser: browser)
        #expect(response.text.contains("You already hold 1 upcoming bookings"))
    }

    @Test func closedBlockIsRefused() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00", open: false)
        let response = try world.expectRefusal(block: block)
        #expect(response.text.contains("no longer available"))
    }

    @Test func blockInTheDoctorsTimeOffIsRefused() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        try world.timeOff(from: world.instant(Self.monday, "08:00"), to: world.instant(Self.monday, "12:00"))
        let response = try world.expectRefusal(block: block)
        #expect(response.text.contains("no longer available"))
    }

    @Test func blockWithinTheBufferOfAnotherAppointmentIsRefused() throws {
        let world = try BookingWorld()
        try world.policy("buffer_minutes = 10")
        let taken = try world.block(Self.monday, "09:00")
        let next = try world.block(Self.monday, "09:20")
        let (otherID, _) = try world.patient(2)
        try world.appointment(patientID: otherID, blockID: taken)
        _ = try world.expectRefusal(block: next)
    }

    @Test func unknownBlockIs404AndOtherRolesMayNotBook() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00")
        let (_, browser) = try world.patient(1)
        #expect(browser.get(Routes.book(999_999)).status == 404)
        #expect(browser.get("/patient/book/abc").status == 404)
        let anonymous = world.t.browser().get(Routes.book(block))
        #expect(anonymous.status == 303)
        #expect(anonymous.location?.hasPrefix("/login?next=") == true)
        try world.t.createUser(.doctor, email: "doc@test.example")
        let doctor = world.t.browser()
        doctor.signIn("doc@test.example")
        #expect(doctor.get(Routes.book(block)).status == 403)
    }

    // MARK: - Double submit and concurrency

    @Test func doubleSubmittedFormCreatesOneAppointment() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00", capacity: 3)
        let (patientID, browser) = try world.patient(1)
        let key = try #require(world.bookingKey(in: browser.get(Routes.book(block)).text))
        let fields = ["appointment_type": String(world.consultationTypeID), "reason": "Check-up", "booking_key": key]
        let first = browser.post(Routes.book(block), fields)
        let second = browser.post(Routes.book(block), fields)
        #expect(first.status == 303 && second.status == 303)
        #expect(first.location == second.location)
        #expect(try world.count("SELECT count(*)::int AS n FROM appointments WHERE patient_id = \(patientID)") == 1)
        #expect(try world.booked(block) == 1)
    }

    @Test func concurrentDoubleSubmitCreatesOneAppointment() throws {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00", capacity: 3)
        let (patientID, browser) = try world.patient(1)
        let key = try #require(world.bookingKey(in: browser.get(Routes.book(block)).text))
        let fields = ["appointment_type": String(world.consultationTypeID), "reason": "Check-up", "booking_key": key]
        let cookies = browser.cookies
        let responses = runConcurrently(4) { _ -> Response in
            let twin = world.t.browser()
            twin.cookies = cookies
            return twin.post(Routes.book(block), fields.merging(["_csrf": browser.csrfToken() ?? ""]) { _, new in new })
        }
        #expect(responses.allSatisfy { $0.status == 303 })
        #expect(Set(responses.compactMap(\.location)).count == 1)
        #expect(try world.count("SELECT count(*)::int AS n FROM appointments WHERE patient_id = \(patientID)") == 1)
    }

    @Test func manySimultaneousBookingsFillABlockExactlyToCapacity() throws {
        let world = try BookingWorld()
        let single = try world.block(Self.monday, "09:00", capacity: 1)
        let group = try world.block(Self.monday, "10:00", capacity: 3)
        let patients = try (1...12).map { try world.patient($0).browser }
        for (block, capacity) in [(single, 1), (group, 3)] {
            // Every patient loads the form first, then all submit at once.
            let keys = try patients.map { try #require(world.bookingKey(in: $0.get(Routes.book(block)).text)) }
            let responses = runConcurrently(patients.count) { index in
                patients[index].post(Routes.book(block), ["appointment_type": String(world.consultationTypeID),
                                                          "reason": "Flu shot", "booking_key": keys[index]])
            }
            #expect(responses.filter { $0.status == 303 }.count == capacity)
            let losers = responses.filter { $0.status != 303 }
            #expect(losers.count == patients.count - capacity)
            #expect(losers.allSatisfy { $0.status == 409 && $0.text.contains("Just taken") })
            #expect(try world.count("""
                SELECT count(*)::int AS n FROM appointments WHERE time_block_id = \(block) AND status IN ('pending', 'confirmed')
                """) == capacity)
            #expect(try world.booked(block) == capacity)
        }
    }
}

/// Runs `body` on `count` threads released together; returns the results in index order.
func runConcurrently<T>(_ count: Int, _ body: @escaping (Int) -> T) -> [T] {
    let results = ConcurrentResults<T>(count)
    let start = DispatchSemaphore(value: 0)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            start.wait()
            let result = body(index)
            results.lock.withLock { results.values[index] = result }
            group.leave()
        }
        thread.start()
    }
    for _ in 0..<count { start.signal() }
    group.wait()
    return results.values.map { $0! }
}

/// Slots for the results of `runConcurrently`, written under a lock.
final class ConcurrentResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var values: [T?]
    init(_ count: Int) { values = [T?](repeating: nil, count: count) }
}

// MARK: - Fixtures

/// A clinic in Europe/Berlin with one doctor, three appointment types and helpers to add blocks, patients and bookings.
///
/// Policy: 2 h lead time, 90 days horizon, 24 h late-cancel window (refused), at most 5 open bookings, no buffer.
final class BookingWorld {
    let t: TestApp
    let zone = TimeZone(identifier: "Europe/Berlin")!
    let clinicID: Int64
    private(set) var doctorID: Int64 = 0
    let consultationTypeID: Int64
    let procedureTypeID: Int64

    init(now: Date? = nil) throws {
        t = try now.map { try TestApp(now: $0) } ?? TestApp()
        let pool = t.pool
        clinicID = try pool.withConnection { db in
            try db.query("""
                INSERT INTO clinics (name, address, phone, timezone, min_lead_minutes, horizon_days, late_cancel_hours)
                VALUES ('Riverside', 'Flussufer 12, 10115 Berlin', '+49 30 1234567', 'Europe/Berlin', 120, 90, 24) RETURNING id
                """)[0].decode("id")
        }
        func type(_ name: String, _ minutes: Int, _ min: Int, _ max: Int, _ online: Bool) throws -> Int64 {
            try pool.withConnection { db in
                try db.query("""
                    INSERT INTO appointment_types (name, default_minutes, min_minutes, max_minutes, bookable_online)
                    VALUES (\(name), \(minutes), \(min), \(max), \(online)) RETURNING id
                    """)[0].decode("id")
            }
        }
        consultationTypeID = try type("Consultation", 20, 10, 40, true)
        _ = try type("Long examination", 60, 45, 90, true)
        procedureTypeID = try type("Minor procedure", 20, 10, 60, false)
        doctorID = try addDoctor(email: "doctor@test.example", name: "Dr. Maria Keller", specialty: "General practice")
    }

    /// A doctor working at `clinic` (default: the world's clinic).
    func addDoctor(email: String, name: String, specialty: String, clinic: Int64? = nil) throws -> Int64 {
        let userID = try t.createUser(.doctor, email: email, name: name)
        return try t.pool.withConnection { db in
            let id: Int64 = try db.query("INSERT INTO doctors (user_id, specialty) VALUES (\(userID), \(specialty)) RETURNING id")[0].decode("id")
            try db.execute("INSERT INTO doctor_clinics (doctor_id, clinic_id) VALUES (\(id), \(clinic ?? clinicID))")
            return id
        }
    }

    /// The instant of a Berlin wall time.
    func instant(_ day: LocalDate, _ time: String) -> Date {
        Scheduling.instant(of: day, LocalTime(hhmm: time)!, in: zone)!
    }

    /// A block at a Berlin wall time.
    func block(_ day: LocalDate, _ time: String, minutes: Int = 20, capacity: Int = 1, open: Bool = true,
               doctorID: Int64? = nil, clinic: Int64? = nil) throws -> Int64 {
        let start = instant(day, time)
        return try t.pool.withConnection { db in
            try db.query("""
                INSERT INTO time_blocks (doctor_id, clinic_id, starts_at, ends_at, capacity, open)
                VALUES (\(doctorID ?? self.doctorID), \(clinic ?? clinicID), \(start), \(start.addingTimeInterval(TimeInterval(minutes * 60))),
                        \(capacity), \(open)) RETURNING id
                """)[0].decode("id")
        }
    }

    func timeOff(from start: Date, to end: Date, doctorID: Int64? = nil) throws {
        try t.pool.withConnection { db in
            try db.execute("INSERT INTO time_off (doctor_id, starts_at, ends_at) VALUES (\(doctorID ?? self.doctorID), \(start), \(end))")
        }
    }

    /// Changes the clinic's policy, e.g. `"buffer_minutes = 10"` (test-only constant SQL).
    func policy(_ assignments: String) throws {
        try t.pool.withConnection { db in try db.execute("UPDATE clinics SET \(unsafeRaw: assignments) WHERE id = \(clinicID)") }
    }

    /// Patient number `n`, created and signed in.
    func patient(_ n: Int) throws -> (id: Int64, browser: Browser) {
        let email = "patient\(n)@test.example"
        let id = try t.createUser(.patient, email: email, name: "Patient \(n)")
        let browser = t.browser()
        browser.signIn(email)
        return (id, browser)
    }

    /// An appointment inserted directly (as staff would), taking a seat of the block.
    @discardableResult
    func appointment(patientID: Int64, blockID: Int64, status: String = "confirmed") throws -> Int64 {
        try t.pool.withConnection { db in
            try db.query("""
                INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, appointment_type_id, starts_at, ends_at, status, reason)
                SELECT b.id, \(patientID), b.doctor_id, b.clinic_id, \(consultationTypeID), b.starts_at, b.ends_at, \(status), 'Seeded'
                FROM time_blocks b WHERE b.id = \(blockID) RETURNING id
                """)[0].decode("id")
        }
    }

    /// Loads the booking form and submits it.
    func book(_ browser: Browser, _ block: Int64, reason: String = "Check-up", notes: String = "") -> Response {
        let page = browser.get(Routes.book(block))
        return browser.post(Routes.book(block), ["appointment_type": String(consultationTypeID), "reason": reason,
                                                 "patient_notes": notes, "booking_key": bookingKey(in: page.text) ?? "missing"])
    }

    /// Books through the form as a fresh patient, expecting a 409 refusal that writes nothing.
    @discardableResult
    func expectRefusal(block: Int64, browser: Browser? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Response {
        let browser = try browser ?? patient(99).browser
        let appointments = try t.count("appointments")
        let booked = try self.booked(block)
        let form = browser.get(Routes.book(block))
        #expect(form.status == 409, sourceLocation: sourceLocation)
        let response = browser.post(Routes.book(block), ["appointment_type": String(consultationTypeID), "reason": "Check-up",
                                                         "booking_key": "refusal-\(block)"])
        #expect(response.status == 409, sourceLocation: sourceLocation)
        #expect(try t.count("appointments") == appointments, sourceLocation: sourceLocation)
        #expect(try self.booked(block) == booked, sourceLocation: sourceLocation)
        #expect(try !t.auditActions().contains("appointment.booked"), sourceLocation: sourceLocation)
        return response
    }

    func bookingKey(in page: String) -> String? {
        guard let range = page.range(of: "name=\"booking_key\" value=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    func booked(_ block: Int64) throws -> Int {
        try count("SELECT booked AS n FROM time_blocks WHERE id = \(block)")
    }

    func count(_ sql: SQL) throws -> Int {
        try t.pool.withConnection { db in try db.query(sql)[0].decode("n") }
    }

    func row(_ sql: SQL) throws -> PostgresRow {
        try t.pool.withConnection { db in try db.query(sql)[0] }
    }
}
