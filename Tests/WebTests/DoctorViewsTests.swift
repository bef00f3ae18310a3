import Foundation
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("Doctor's day, week and appointment pages")
struct DoctorViewsTests {
    @Test func theDayListsAppointmentsInTimeOrderWithTheAllowedActions() throws {
        let w = try AvailabilityWorld()
        let late = try w.block("2026-06-10", "15:00")
        let early = try w.block("2026-06-10", "11:00")
        let otherDay = try w.block("2026-06-11", "09:00")
        try w.appointment(block: late, patient: try w.patient(name: "Zoe Late"), status: "pending", reason: "Rash")
        try w.appointment(block: early, patient: try w.patient(name: "Adam Early"), status: "confirmed", reason: "Cough")
        try w.appointment(block: otherDay, patient: try w.patient(name: "Tom Tomorrow"))

        let page = w.doctor.get(Routes.doctorDay(LocalDate(iso: "2026-06-10")!)).text
        let early_ = try #require(page.range(of: "Adam Early")), late_ = try #require(page.range(of: "Zoe Late"))
        #expect(early_.lowerBound < late_.lowerBound)
        #expect(!page.contains("Tom Tomorrow"))
        #expect(page.contains("11:00–11:20"))
        #expect(page.contains("Cough"))
        #expect(page.contains("badge-pending"))
        #expect(page.contains("Europe/Berlin"))
        // Confirmed before its start: check in or cancel (no no-show yet); pending: confirm or cancel.
        #expect(page.contains("value=\"arrived\""))
        #expect(page.contains("value=\"confirmed\""))
        #expect(!page.contains("value=\"no_show\""))

        // Without a date the day is today in the clinic's zone.
        #expect(w.doctor.get(Routes.doctorHome).text.contains("Adam Early"))
        #expect(w.doctor.get(Routes.doctorHome + "?date=not-a-date").status == 200)
    }

    @Test func theWeekCalendarShowsFreePartlyBookedFullAndClosedBlocks() throws {
        let w = try AvailabilityWorld()
        try w.block("2026-06-08", "09:00")
        let partly = try w.block("2026-06-09", "09:00", capacity: 3)
        let full = try w.block("2026-06-10", "09:00")
        try w.block("2026-06-11", "09:00", open: false)
        try w.block("2026-06-15", "09:00")  // next week
        try w.appointment(block: partly)
        try w.appointment(block: full)

        let page = w.doctor.get(Routes.doctorCalendar(week: LocalDate(iso: "2026-06-10")!)).text
        #expect(page.contains("block-free"))
        #expect(page.contains("block-partly"))
        #expect(page.contains("block-full"))
        #expect(page.contains("block-closed"))
        #expect(page.contains("1/3"))
        #expect(page.contains("Europe/Berlin"))
        #expect(page.contains("Mon 8 Jun"))
        #expect(!page.contains("Mon 15 Jun"))
        #expect(page.contains(Routes.doctorCalendar(week: LocalDate(iso: "2026-06-01")!)))
        #expect(page.contains(Routes.doctorCalendar(week: LocalDate(iso: "2026-06-15")!)))
        #expect(page.components(separatedBy: "09:00–09:20").count - 1 == 4)
        #expect(!page.contains(">nil<"))  // a one-clinic doctor sees no clinic name beside each block
    }

    @Test func aDaylightSavingWeekKeepsPatternBlocksAtNineLocal() throws {
        // Friday 2026-03-20, around noon UTC; Berlin springs forward on Sunday 2026-03-29.
        let w = try AvailabilityWorld(now: Date(timeIntervalSince1970: 1_774_008_000))
        for weekday in ["6", "7", "1"] {
            w.doctor.submit(Routes.doctorAvailability, to: Routes.doctorPatterns, [
                "clinic_id": String(w.clinicID), "weekday": weekday, "start": "09:00", "end": "09:30", "slot_minutes": "30",
                "capacity": "1", "valid_from": "2026-03-20",
            ])
        }
        #expect(w.doctor.submit(Routes.doctorAvailability, to: Routes.doctorGenerateBlocks, ["weeks": "2"]).status == 303)
        let starts = try w.t.pool.withConnection { db in
            try db.query("SELECT starts_at FROM time_blocks ORDER BY starts_at").map { try $0.decode("starts_at", as: Date.self) }
        }
        let iso = ISO8601DateFormatter()
        // Sat 21, Sun 22, Mon 23, Sat 28 at 08:00 UTC (CET); Sun 29 and Mon 30 at 07:00 UTC (CEST).
        #expect(starts.map { iso.string(from: $0) } == [
            "2026-03-21T08:00:00Z", "2026-03-22T08:00:00Z", "2026-03-23T08:00:00Z",
            "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z",
        ])

        let page = w.doctor.get(Routes.doctorCalendar(week: LocalDate(iso: "2026-03-25")!)).text
        #expect(page.contains("Sat 28 Mar"))
        #expect(page.contains("Sun 29 Mar"))
        #expect(page.components(separatedBy: "09:00–09:30").count - 1 == 3)
        #expect(!page.contains("08:00–08:30"))
        #expect(!page.contains("10:00–10:30"))
        // The zone label names the change of offset within the week.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let before = try #require(berlin.abbreviation(for: w.local("2026-03-23", "12:00")))
        let after = try #require(berlin.abbreviation(for: w.local("2026-03-29", "12:00")))
        #expect(before != after)
        #expect(page.contains("Europe/Berlin (\(before) → \(after))"))
        let next = w.doctor.get(Routes.doctorCalendar(week: LocalDate(iso: "2026-03-30")!)).text
        #expect(next.components(separatedBy: "09:00–09:30").count - 1 == 1)
    }

    @Test func aDayInAZoneWithoutDaylightSavingUsesThatZone() throws {
        let w = try AvailabilityWorld(zone: "Asia/Tokyo")
        // 2026-06-11 08:00 Tokyo is 2026-06-10 23:00 UTC: it belongs to the 11th there.
        try w.appointment(block: try w.block("2026-06-11", "08:00"), patient: try w.patient(name: "Kenji Morning"))
        #expect(w.doctor.get(Routes.doctorDay(LocalDate(iso: "2026-06-11")!)).text.contains("Kenji Morning"))
        #expect(!w.doctor.get(Routes.doctorDay(LocalDate(iso: "2026-06-10")!)).text.contains("Kenji Morning"))
        #expect(w.doctor.get(Routes.doctorDay(LocalDate(iso: "2026-06-11")!)).text.contains("08:00–08:20"))
    }

    // MARK: - Status changes

    private func setUp(status: String = "pending", at time: String = "15:00") throws -> (AvailabilityWorld, Int64, Int64) {
        let w = try AvailabilityWorld()
        let block = try w.block("2026-06-10", time)
        let appointment = try w.appointment(block: block, patient: try w.patient(name: "Petra Patient"), status: status)
        return (w, block, appointment)
    }

    private func status(_ w: AvailabilityWorld, _ id: Int64) throws -> String {
        try w.value("SELECT status AS v FROM appointments WHERE id = \(id)")
    }

    @Test func theDetailPageShowsTheAppointmentAndItsForms() throws {
        let (w, _, id) = try setUp()
        let page = w.doctor.get(Routes.doctorAppointment(id))
        #expect(page.status == 200)
        #expect(page.text.contains("Petra Patient"))
        #expect(page.text.contains("15:00–15:20"))
        #expect(page.text.contains("name=\"version\" value=\"1\""))
        #expect(page.text.contains("<option value=\"confirmed\""))
        #expect(page.text.contains("<option value=\"cancelled\""))
        #expect(!page.text.contains("<option value=\"completed\""))
    }

    @Test func confirmingMovesTheStatusOnBumpsTheVersionAndIsAudited() throws {
        let (w, _, id) = try setUp()
        let response = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                       ["status": "confirmed", "version": "1", "reason": "Fits my day"])
        #expect(response.status == 303)
        #expect(try status(w, id) == "confirmed")
        #expect(try w.count("SELECT version AS v FROM appointments WHERE id = \(id)") == 2)
        let details: String = try w.value("SELECT details::text AS v FROM audit_log WHERE action = 'appointment.status_changed'")
        #expect(details.contains("\"from\": \"pending\""))
        #expect(details.contains("\"to\": \"confirmed\""))
        #expect(details.contains("Fits my day"))
    }

    @Test func theWholeVisitMovesForwardStepByStep() throws {
        let (w, _, id) = try setUp(status: "confirmed", at: "09:00")
        for (version, next) in ["arrived", "in_progress", "completed"].enumerated() {
            let response = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                           ["status": next, "version": String(version + 1)])
            #expect(response.status == 303)
            #expect(try status(w, id) == next)
        }
        #expect(w.doctor.get(Routes.doctorAppointment(id)).text.contains("No further status change is possible now."))
    }

    @Test(arguments: [("pending", "completed"), ("pending", "arrived"), ("confirmed", "pending"), ("cancelled", "confirmed")])
    func aForbiddenTransitionIs409AndChangesNothing(from: String, to: String) throws {
        let (w, _, id) = try setUp(status: from)
        let response = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                       ["status": to, "version": "1", "reason": "Because"])
        #expect(response.status == 409)
        #expect(response.text.contains("Appointments only move forward"))
        #expect(try status(w, id) == from)
        #expect(try !w.t.auditActions().contains("appointment.status_changed"))
    }

    @Test func aFormFromAnOlderVersionIs409NotASilentOverwrite() throws {
        let (w, _, id) = try setUp(status: "confirmed")
        let firstTab = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                       ["status": "arrived", "version": "1"])
        #expect(firstTab.status == 303)
        // The second tab still holds version 1 and tries to cancel.
        let secondTab = w.doctor.post(Routes.doctorAppointmentStatus(id), ["status": "cancelled", "version": "1", "reason": "Double"])
        #expect(secondTab.status == 409)
        #expect(secondTab.text.contains("changed in the meantime"))
        #expect(try status(w, id) == "arrived")
        let staleNotes = w.doctor.post(Routes.doctorAppointmentNotes(id), ["doctor_notes": "Overwrite?", "version": "1"])
        #expect(staleNotes.status == 409)
        #expect(try w.value("SELECT doctor_notes AS v FROM appointments WHERE id = \(id)", as: String.self) == "")
    }

    @Test func noShowIsOnlyPossibleAfterTheStart() throws {
        let (w, _, id) = try setUp(status: "confirmed", at: "10:15")  // 08:15 UTC; now is 08:00 UTC
        let early = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                    ["status": "no_show", "version": "1"])
        #expect(early.status == 409)
        #expect(early.text.contains("once the appointment"))
        #expect(try status(w, id) == "confirmed")

        w.t.clock.advance(by: 20 * 60)  // within the session's idle timeout
        #expect(w.doctor.get(Routes.doctorHome).text.contains("value=\"no_show\""))
        let late = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                   ["status": "no_show", "version": "1"])
        #expect(late.status == 303)
        #expect(try status(w, id) == "no_show")
    }

    @Test func cancellingNeedsAReasonAndThenFreesTheSeat() throws {
        let (w, block, id) = try setUp(status: "confirmed")
        let missing = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                      ["status": "cancelled", "version": "1", "reason": "  "])
        #expect(missing.status == 422)
        #expect(missing.text.contains("Enter a reason for cancelling"))
        #expect(try status(w, id) == "confirmed")

        let done = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentStatus(id),
                                   ["status": "cancelled", "version": "1", "reason": "Emergency surgery"])
        #expect(done.status == 303)
        #expect(try status(w, id) == "cancelled")
        #expect(try w.value("SELECT cancel_reason AS v FROM appointments WHERE id = \(id)", as: String.self) == "Emergency surgery")
        #expect(try w.count("SELECT booked AS v FROM time_blocks WHERE id = \(block)") == 0)
        #expect(try w.t.auditActions().contains("appointment.cancelled"))
        let detail = w.doctor.get(Routes.doctorAppointment(id)).text
        #expect(detail.contains("Emergency surgery"))
        #expect(detail.contains("badge-cancelled"))
    }

    @Test func anActionButtonReturnsToTheDay() throws {
        let (w, _, id) = try setUp()
        let day = Routes.doctorDay(LocalDate(iso: "2026-06-10")!)
        let response = w.doctor.submit(day, to: Routes.doctorAppointmentStatus(id), ["status": "confirmed", "version": "1", "next": day])
        #expect(response.location == day)
        let offsite = w.doctor.submit(day, to: Routes.doctorAppointmentStatus(id),
                                      ["status": "arrived", "version": "2", "next": "//evil.example/"])
        #expect(offsite.location == Routes.doctorAppointment(id))
    }

    @Test func notesAreSavedAndTooLongNotesAre422() throws {
        let (w, _, id) = try setUp()
        let saved = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentNotes(id),
                                    ["doctor_notes": "Bring previous lab results.", "version": "1"])
        #expect(saved.status == 303)
        #expect(w.doctor.get(Routes.doctorAppointment(id)).text.contains("Bring previous lab results."))
        let tooLong = w.doctor.submit(Routes.doctorAppointment(id), to: Routes.doctorAppointmentNotes(id),
                                      ["doctor_notes": String(repeating: "x", count: 5001), "version": "2"])
        #expect(tooLong.status == 422)
        #expect(tooLong.text.contains("Use at most 5000 characters."))
        #expect(try w.value("SELECT doctor_notes AS v FROM appointments WHERE id = \(id)", as: String.self) == "Bring previous lab results.")
        #expect(try w.t.auditActions().contains("appointment.notes_updated"))
    }

    @Test func anotherDoctorGets404ForTheAppointmentAndItsForms() throws {
        let (w, _, id) = try setUp()
        try AvailabilityWorld.addDoctor(w.t, email: "other@test.example", clinicID: w.clinicID)
        let other = w.t.browser()
        other.signIn("other@test.example")
        #expect(other.get(Routes.doctorAppointment(id)).status == 404)
        other.get(Routes.doctorHome)
        #expect(other.post(Routes.doctorAppointmentStatus(id), ["status": "confirmed", "version": "1"]).status == 404)
        #expect(other.post(Routes.doctorAppointmentNotes(id), ["doctor_notes": "Hi", "version": "1"]).status == 404)
        #expect(!other.get(Routes.doctorDay(LocalDate(iso: "2026-06-10")!)).text.contains("Petra Patient"))
        #expect(try status(w, id) == "pending")
        #expect(w.doctor.get(Routes.doctorAppointment(999_999)).status == 404)
    }
}
