import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("Doctor directory and week of free times")
struct DirectoryTests {
    static let monday = BookingTests.monday

    /// The HTML of one day's column of a week page.
    static func day(_ iso: String, in page: String) -> String {
        guard let start = page.range(of: "id=\"day-\(iso)\"") else { return "" }
        let rest = page[start.upperBound...]
        let end = rest.range(of: "</section>")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    @Test func directoryFiltersBySpecialtyClinicAndName() throws {
        let world = try BookingWorld()
        _ = try world.addDoctor(email: "weber@test.example", name: "Dr. Jonas Weber", specialty: "Dermatology")
        let lakeside: Int64 = try world.row("""
            INSERT INTO clinics (name, timezone) VALUES ('Lakeside', 'Europe/Berlin') RETURNING id
            """).decode("id")
        _ = try world.addDoctor(email: "demir@test.example", name: "Dr. Aylin Demir", specialty: "Paediatrics", clinic: lakeside)
        let gone = try world.addDoctor(email: "gone@test.example", name: "Dr. Gone Away", specialty: "Dermatology")
        try world.t.pool.withConnection { db in
            try db.execute("UPDATE users SET active = false WHERE id = (SELECT user_id FROM doctors WHERE id = \(gone))")
        }
        let browser = world.t.browser()
        let all = browser.get(Routes.doctors)
        #expect(all.status == 200)
        for name in ["Dr. Maria Keller", "Dr. Jonas Weber", "Dr. Aylin Demir"] { #expect(all.text.contains(name)) }
        #expect(!all.text.contains("Dr. Gone Away"))

        let dermatology = browser.get(Routes.doctors + "?specialty=dermatology").text
        #expect(dermatology.contains("Dr. Jonas Weber"))
        #expect(!dermatology.contains("Dr. Maria Keller") && !dermatology.contains("Dr. Aylin Demir"))

        let atLakeside = browser.get(Routes.doctors + "?clinic=\(lakeside)").text
        #expect(atLakeside.contains("Dr. Aylin Demir"))
        #expect(!atLakeside.contains("Dr. Maria Keller") && !atLakeside.contains("Dr. Jonas Weber"))

        let byName = browser.get(Routes.doctors + "?q=KEL").text
        #expect(byName.contains("Dr. Maria Keller"))
        #expect(!byName.contains("Dr. Jonas Weber"))

        let wildcard = browser.get(Routes.doctors + "?q=%25").text
        #expect(!wildcard.contains("Dr. Maria Keller"))
        #expect(wildcard.contains("No doctor matches these filters."))
        #expect(browser.get(Routes.doctors + "?clinic=abc&specialty=&q=").status == 200)
    }

    @Test func nextFreeSlotSkipsEverythingThatCannotBeBookedAndMatchesTheWeekPage() throws {
        let world = try BookingWorld()
        let weber = try world.addDoctor(email: "weber@test.example", name: "Dr. Jonas Weber", specialty: "Dermatology")
        _ = try world.block(LocalDate(year: 2026, month: 6, day: 10), "11:00")               // inside the 2 h lead time
        let full = try world.block(Self.monday, "09:00")
        _ = try world.block(Self.monday, "09:20", open: false)                                // closed
        _ = try world.block(Self.monday, "09:40")                                             // time off
        try world.timeOff(from: world.instant(Self.monday, "09:40"), to: world.instant(Self.monday, "10:00"))
        let free = try world.block(Self.monday, "10:00")
        let (patientID, _) = try world.patient(1)
        try world.appointment(patientID: patientID, blockID: full)

        let page = world.t.browser().get(Routes.doctors).text
        #expect(page.contains("Mon 15 Jun 2026, 10:00"))
        #expect(page.contains(Routes.book(free)))
        #expect(page.contains("Europe/Berlin"))
        #expect(page.contains("No free times in the coming weeks."))  // Dr. Weber has no blocks
        _ = weber

        let week = world.t.browser().get(Routes.doctor(world.doctorID, week: Self.monday)).text
        let firstLink = week.range(of: "/patient/book/").map { week[$0.upperBound...].prefix { $0.isNumber } }
        #expect(firstLink.map(String.init) == String(free))
    }

    @Test func weekShowsOnlyBookableBlocksWithSeatsLeftAndTheZoneNamed() throws {
        let world = try BookingWorld()
        try world.policy("buffer_minutes = 10")
        let wednesday = LocalDate(year: 2026, month: 6, day: 10)
        let past = try world.block(wednesday, "08:00")
        let lead = try world.block(wednesday, "11:00")
        let later = try world.block(wednesday, "14:00")
        let full = try world.block(Self.monday, "09:00")
        let buffered = try world.block(Self.monday, "09:20")
        let closed = try world.block(Self.monday, "10:00", open: false)
        let off = try world.block(Self.monday, "11:00")
        try world.timeOff(from: world.instant(Self.monday, "10:50"), to: world.instant(Self.monday, "11:30"))
        let group = try world.block(Self.monday, "13:00", minutes: 60, capacity: 3)
        let (patientID, _) = try world.patient(1)
        try world.appointment(patientID: patientID, blockID: full)
        try world.appointment(patientID: patientID, blockID: group)

        let browser = world.t.browser()
        let thisWeek = browser.get(Routes.doctor(world.doctorID))
        #expect(thisWeek.status == 200)
        #expect(thisWeek.text.contains("Europe/Berlin"))
        #expect(Self.day("2026-06-10", in: thisWeek.text).contains(Routes.book(later)))
        for hidden in [past, lead] { #expect(!thisWeek.text.contains(Routes.book(hidden) + "\"")) }
        #expect(thisWeek.text.contains(Routes.doctor(world.doctorID, week: Self.monday)))  // next week link
        #expect(!thisWeek.text.contains("rel=\"prev\""))  // the previous week is wholly past

        let nextWeek = browser.get(Routes.doctor(world.doctorID, week: Self.monday.adding(days: 2))).text
        let monday = Self.day("2026-06-15", in: nextWeek)
        #expect(monday.contains(Routes.book(group) + "\""))
        #expect(monday.contains("13:00–14:00"))
        #expect(monday.contains("2 of 3 places left"))
        for hidden in [full, buffered, closed, off] { #expect(!nextWeek.contains(Routes.book(hidden) + "\"")) }
        #expect(nextWeek.contains("rel=\"prev\""))
        #expect(Self.day("2026-06-16", in: nextWeek).contains("No free times"))
    }

    @Test func weekAcrossTheSpringDaylightSavingChangeShowsLocalTimes() throws {
        // Friday 2026-03-20 08:00 UTC; clocks in Berlin jump from 02:00 to 03:00 on Sunday 29 March.
        let world = try BookingWorld(now: Date(timeIntervalSince1970: 1_773_993_600))
        let friday = try world.block(LocalDate(year: 2026, month: 3, day: 27), "09:00")
        let sunday = try world.block(LocalDate(year: 2026, month: 3, day: 29), "03:00")
        let monday = try world.block(LocalDate(year: 2026, month: 3, day: 30), "09:00")
        #expect(world.instant(LocalDate(year: 2026, month: 3, day: 27), "09:00") == Date(timeIntervalSince1970: 1_774_598_400))  // 08:00 UTC
        let browser = world.t.browser()

        let before = browser.get(Routes.doctor(world.doctorID, week: LocalDate(year: 2026, month: 3, day: 29))).text
        #expect(before.contains("Europe/Berlin"))
        let fridayColumn = Self.day("2026-03-27", in: before)
        #expect(fridayColumn.contains("Friday 27 March 2026"))
        #expect(fridayColumn.contains(Routes.book(friday)))
        #expect(fridayColumn.contains("09:00–09:20"))
        let sundayColumn = Self.day("2026-03-29", in: before)
        #expect(sundayColumn.contains(Routes.book(sunday)))
        #expect(sundayColumn.contains("03:00–03:20"))
        #expect(!before.contains(Routes.book(monday) + "\""))

        let after = browser.get(Routes.doctor(world.doctorID, week: LocalDate(year: 2026, month: 3, day: 30))).text
        #expect(after.contains("Europe/Berlin"))
        let mondayColumn = Self.day("2026-03-30", in: after)
        #expect(mondayColumn.contains("Monday 30 March 2026"))
        #expect(mondayColumn.contains(Routes.book(monday)))
        #expect(mondayColumn.contains("09:00–09:20"))
    }

    @Test func badWeekShowsThisWeekAndUnknownDoctorIs404() throws {
        let world = try BookingWorld()
        let browser = world.t.browser()
        let bad = browser.get(Routes.doctor(world.doctorID) + "?week=2026-02-30")
        #expect(bad.status == 200)
        #expect(bad.text.contains("id=\"day-2026-06-10\""))
        #expect(browser.get(Routes.doctor(999_999)).status == 404)
        #expect(browser.get("/doctors/abc").status == 404)
    }
}
