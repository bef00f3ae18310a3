import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("A patient's appointments: list, detail, cancel, reschedule, calendar file")
struct PatientAppointmentsTests {
    static let monday = BookingTests.monday

    /// Books Monday 09:00 through the form for patient 1 and returns the world, the browser and the appointment id.
    private func booked(capacity: Int = 1) throws -> (BookingWorld, Browser, Int64, Int64) {
        let world = try BookingWorld()
        let block = try world.block(Self.monday, "09:00", capacity: capacity)
        let (_, browser) = try world.patient(1)
        let response = world.book(browser, block, reason: "Back pain")
        let location = try #require(response.location)
        let id = try #require(Int64(location.split(separator: "/").last ?? ""))
        return (world, browser, id, block)
    }

    @Test func homeListsUpcomingAndPastAppointmentsWithStatusBadges() throws {
        let (world, browser, _, _) = try booked()
        let patientID: Int64 = try world.row("SELECT id FROM users WHERE email = 'patient1@test.example'").decode("id")
        let earlier = try world.block(LocalDate(year: 2026, month: 6, day: 1), "09:00")
        try world.appointment(patientID: patientID, blockID: earlier, status: "completed")
        let page = browser.get(Routes.patientHome)
        #expect(page.status == 200)
        #expect(page.text.contains("badge badge-pending"))
        #expect(page.text.contains("Awaiting confirmation"))
        #expect(page.text.contains("badge badge-completed"))
        let upcoming = try #require(page.text.range(of: "Upcoming"))
        let past = try #require(page.text.range(of: "id=\"past-heading\""))
        #expect(page.text[upcoming.upperBound..<past.lowerBound].contains("Mon 15 Jun 2026, 09:00"))
        #expect(page.text[past.upperBound...].contains("Mon 1 Jun 2026, 09:00"))
    }

    @Test func anotherPatientGets404OnDetailCalendarCancelAndReschedule() throws {
        let (world, owner, id, block) = try booked()
        let other = try world.block(Self.monday, "10:00")
        let (_, intruder) = try world.patient(2)
        intruder.get(Routes.patientHome)
        #expect(intruder.get(Routes.patientAppointment(id)).status == 404)
        #expect(intruder.get(Routes.patientAppointmentCalendar(id)).status == 404)
        #expect(intruder.get(Routes.rescheduleAppointment(id)).status == 404)
        #expect(intruder.post(Routes.cancelAppointment(id), ["cancel_reason": "mine now"]).status == 404)
        #expect(intruder.post(Routes.rescheduleAppointment(id), ["block_id": String(other)]).status == 404)
        let row = try world.row("SELECT status, version FROM appointments WHERE id = \(id)")
        #expect(try row.decode("status", as: String.self) == "pending")
        #expect(try row.decode("version", as: Int.self) == 1)
        #expect(try world.booked(block) == 1)
        #expect(try world.booked(other) == 0)
        #expect(owner.get(Routes.patientAppointment(id)).status == 200)
        #expect(owner.get(Routes.patientAppointment(999_999)).status == 404)
        #expect(owner.get("/patient/appointments/x.ics").status == 404)
    }

    @Test func cancellingOutsideTheWindowFreesTheSeatAtOnceAndIsAudited() throws {
        let (world, browser, id, block) = try booked()
        let detail = browser.get(Routes.patientAppointment(id)).text
        #expect(!detail.contains("Cancellation reason") && !detail.contains("Your notes"))  // empty rows are left out
        let missing = browser.post(Routes.cancelAppointment(id), ["cancel_reason": "  "])
        #expect(missing.status == 422)
        #expect(missing.text.contains("Tell us briefly why you are cancelling."))
        #expect(try world.booked(block) == 1)
        let response = browser.post(Routes.cancelAppointment(id), ["cancel_reason": "Feeling better"])
        #expect(response.status == 303)
        #expect(response.location == Routes.patientAppointment(id))
        let row = try world.row("SELECT status, cancel_reason, cancelled_late, version FROM appointments WHERE id = \(id)")
        #expect(try row.decode("status", as: String.self) == "cancelled")
        #expect(try row.decode("cancel_reason", as: String.self) == "Feeling better")
        #expect(try row.decode("cancelled_late", as: Bool.self) == false)
        #expect(try row.decode("version", as: Int.self) == 2)
        #expect(try world.booked(block) == 0)
        #expect(try world.t.auditActions().contains("appointment.cancelled"))
        // The freed seat is bookable again by someone else.
        let (_, next) = try world.patient(2)
        #expect(world.book(next, block).status == 303)
        // Cancelling twice is refused, not a 500.
        browser.get(Routes.patientAppointment(id))
        #expect(browser.post(Routes.cancelAppointment(id), ["cancel_reason": "again"]).status == 409)
    }

    @Test func cancellingInsideTheWindowIsRefusedWithTheClinicsPhone() throws {
        let (world, browser, id, block) = try booked()
        world.t.clock.set(world.instant(Self.monday, "09:00").addingTimeInterval(-10 * 3600))  // 10 h before, window is 24 h
        browser.signIn("patient1@test.example")  // the session idled out while the clock jumped
        let page = browser.get(Routes.patientAppointment(id))
        #expect(page.text.contains("+49 30 1234567"))
        #expect(!page.text.contains("name=\"cancel_reason\""))
        let response = browser.post(Routes.cancelAppointment(id), ["cancel_reason": "Cannot come"])
        #expect(response.status == 409)
        #expect(response.text.contains("Please call the clinic on +49 30 1234567"))
        #expect(try world.row("SELECT status FROM appointments WHERE id = \(id)").decode("status", as: String.self) == "pending")
        #expect(try world.booked(block) == 1)
        #expect(try !world.t.auditActions().contains("appointment.cancelled"))
    }

    @Test func cancellingInsideTheWindowIsAllowedAndFlaggedLateWhenThePolicyAllows() throws {
        let (world, browser, id, block) = try booked()
        try world.policy("allow_late_cancel = true")
        world.t.clock.set(world.instant(Self.monday, "09:00").addingTimeInterval(-10 * 3600))
        browser.signIn("patient1@test.example")
        let page = browser.get(Routes.patientAppointment(id))
        #expect(page.text.contains("recorded as a late cancellation"))
        let response = browser.post(Routes.cancelAppointment(id), ["cancel_reason": "Cannot come"])
        #expect(response.status == 303)
        let row = try world.row("SELECT status, cancelled_late FROM appointments WHERE id = \(id)")
        #expect(try row.decode("status", as: String.self) == "cancelled")
        #expect(try row.decode("cancelled_late", as: Bool.self) == true)
        #expect(try world.booked(block) == 0)
    }

    @Test func rescheduleMovesTheAppointmentInOneStep() throws {
        let (world, browser, id, oldBlock) = try booked()
        let newBlock = try world.block(Self.monday.adding(days: 1), "11:00")
        let page = browser.get(Routes.rescheduleAppointment(id, week: Self.monday))
        #expect(page.status == 200)
        #expect(page.text.contains("value=\"\(newBlock)\""))
        #expect(!page.text.contains("value=\"\(oldBlock)\""))  // its own block is not offered
        let response = browser.post(Routes.rescheduleAppointment(id), ["block_id": String(newBlock)])
        #expect(response.status == 303)
        let location = try #require(response.location)
        let newID = try #require(Int64(location.split(separator: "/").last ?? ""))
        #expect(newID != id)
        let old = try world.row("SELECT status, cancel_reason FROM appointments WHERE id = \(id)")
        #expect(try old.decode("status", as: String.self) == "cancelled")
        let moved = try world.row("SELECT status, reason, time_block_id, starts_at FROM appointments WHERE id = \(newID)")
        #expect(try moved.decode("status", as: String.self) == "pending")
        #expect(try moved.decode("reason", as: String.self) == "Back pain")
        #expect(try moved.decode("time_block_id", as: Int64.self) == newBlock)
        #expect(try moved.decode("starts_at", as: Date.self) == world.instant(Self.monday.adding(days: 1), "11:00"))
        #expect(try world.booked(oldBlock) == 0)
        #expect(try world.booked(newBlock) == 1)
        #expect(try world.t.auditActions().contains("appointment.rescheduled"))
    }

    @Test func rescheduleToAnOverlappingNeighbourOfTheSameDoctorWorks() throws {
        // The old appointment is cancelled inside the same transaction, so a slot right next to it is fine even with a buffer.
        let (world, browser, id, _) = try booked()
        try world.policy("buffer_minutes = 10")
        let neighbour = try world.block(Self.monday, "09:20")
        browser.get(Routes.rescheduleAppointment(id))
        #expect(browser.post(Routes.rescheduleAppointment(id), ["block_id": String(neighbour)]).status == 303)
        #expect(try world.booked(neighbour) == 1)
    }

    @Test func rescheduleToAFullBlockLeavesTheOldAppointmentUntouched() throws {
        let (world, browser, id, oldBlock) = try booked()
        let full = try world.block(Self.monday, "11:00")
        let (otherID, _) = try world.patient(2)
        try world.appointment(patientID: otherID, blockID: full)
        let before = try world.t.count("appointments")
        browser.get(Routes.rescheduleAppointment(id))
        let response = browser.post(Routes.rescheduleAppointment(id), ["block_id": String(full)])
        #expect(response.status == 409)
        #expect(response.text.contains("Just taken"))
        let row = try world.row("SELECT status, version, cancel_reason FROM appointments WHERE id = \(id)")
        #expect(try row.decode("status", as: String.self) == "pending")
        #expect(try row.decode("version", as: Int.self) == 1)
        #expect(try row.decode("cancel_reason", as: String?.self) == nil)
        #expect(try world.t.count("appointments") == before)
        #expect(try world.booked(oldBlock) == 1)
        #expect(try world.booked(full) == 1)
        #expect(try !world.t.auditActions().contains("appointment.rescheduled"))
        // No block chosen: the form again with a message.
        let empty = browser.post(Routes.rescheduleAppointment(id), [:])
        #expect(empty.status == 422)
        #expect(empty.text.contains("Choose a new time from the list."))
    }

    @Test func calendarFileParsesBackWithStableUIDAndStatusThatFollowsTheAppointment() throws {
        let (world, browser, id, _) = try booked()
        let response = browser.get(Routes.patientAppointmentCalendar(id))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/calendar; charset=utf-8")
        #expect(response.text.contains("\r\n"))
        #expect(!response.text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let event = ICalendarTests.parse(response.text)
        #expect(event["UID"] == "appointment-\(id)@clinic-portal")
        #expect(event["DTSTART"] == "20260615T070000Z")  // 09:00 in Berlin (CEST)
        #expect(event["DTEND"] == "20260615T072000Z")
        #expect(event["DTSTAMP"] == "20260610T080000Z")
        #expect(event["STATUS"] == "TENTATIVE")
        #expect(event["SUMMARY"] == "Consultation with Dr. Maria Keller")
        #expect(event["LOCATION"] == "Riverside\\, Flussufer 12\\, 10115 Berlin")
        browser.get(Routes.patientAppointment(id))
        #expect(browser.post(Routes.cancelAppointment(id), ["cancel_reason": "Away"]).status == 303)
        let cancelled = ICalendarTests.parse(browser.get(Routes.patientAppointmentCalendar(id)).text)
        #expect(cancelled["UID"] == event["UID"])
        #expect(cancelled["STATUS"] == "CANCELLED")
        _ = world
    }
}
