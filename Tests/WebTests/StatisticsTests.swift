import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

/// Ten appointments with hand-counted figures, written straight in SQL (no booking rules in the way).
///
/// The clock is Wednesday 2026-06-10 08:00 UTC (10:00 in Berlin). Both clinics are in Europe/Berlin
/// (UTC+2 in June), so the dashboard's days are Berlin days.
///
/// | #  | starts (UTC)      | Berlin day | doctor | clinic | patient | status    | type    |
/// |----|-------------------|------------|--------|--------|---------|-----------|---------|
/// | 1  | 06-02 07:00       | 06-02      | A      | North  | Alice   | completed | Checkup |
/// | 2  | 06-02 07:30       | 06-02      | A      | North  | Alice   | no_show   | Checkup |
/// | 3  | 06-02 08:00       | 06-02      | A      | North  | Alice   | cancelled (late) | Consult |
/// | 4  | 06-02 07:00       | 06-02      | B      | South  | Bob     | cancelled | Consult |
/// | 5  | 06-05 07:00       | 06-05      | B      | South  | Bob     | completed | Consult |
/// | 6  | 06-05 07:30       | 06-05      | B      | South  | Bob     | confirmed | Checkup |
/// | 7  | 06-10 13:00       | 06-10      | A      | North  | Alice   | pending   | Checkup |
/// | 8  | 06-10 13:00       | 06-10      | B      | South  | Bob     | confirmed | none    |
/// | 9  | 05-31 22:30       | 06-01      | A      | North  | Alice   | completed | Checkup |
/// | 10 | 05-31 21:30       | 05-31      | A      | North  | Alice   | completed | Consult |
///
/// Every appointment has its own 30-minute block of capacity 1; doctor A also has an empty open
/// 60-minute block of capacity 2 on 06-03.
struct AdminFixture {
    var north: Int64 = 0, south: Int64 = 0
    var checkup: Int64 = 0, consult: Int64 = 0
    var doctorA: Int64 = 0, doctorB: Int64 = 0
    var alice: Int64 = 0, bob: Int64 = 0
    var admin: Int64 = 0
    /// Appointment ids by the table's number (index 0 unused).
    var appointments: [Int64] = [0]

    static let adminEmail = "admin@example.org"

    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static func seed(_ t: TestApp) throws -> AdminFixture {
        var f = AdminFixture()
        f.admin = try t.createUser(.admin, email: adminEmail, name: "Ada Admin")
        f.alice = try t.createUser(.patient, email: "alice@example.org", name: "Alice Patient")
        f.bob = try t.createUser(.patient, email: "bob@example.org", name: "Bob Patient")
        let userA = try t.createUser(.doctor, email: "doctor.a@example.org", name: "Anna Doctor")
        let userB = try t.createUser(.doctor, email: "doctor.b@example.org", name: "Boris Doctor")
        try t.pool.transaction { db in
            func id(_ sql: SQL) throws -> Int64 { try db.query(sql)[0].decode("id") }
            f.north = try id("INSERT INTO clinics (name, timezone, phone) VALUES ('North', 'Europe/Berlin', '+49 30 1234') RETURNING id")
            f.south = try id("INSERT INTO clinics (name, timezone) VALUES ('South', 'Europe/Berlin') RETURNING id")
            f.checkup = try id("INSERT INTO appointment_types (name, default_minutes, min_minutes, max_minutes) VALUES ('Checkup', 30, 15, 60) RETURNING id")
            f.consult = try id("INSERT INTO appointment_types (name, default_minutes, min_minutes, max_minutes) VALUES ('Consult', 30, 15, 60) RETURNING id")
            f.doctorA = try id("INSERT INTO doctors (user_id, specialty) VALUES (\(userA), 'Cardiology') RETURNING id")
            f.doctorB = try id("INSERT INTO doctors (user_id, specialty) VALUES (\(userB), 'Dermatology') RETURNING id")
            try db.execute("INSERT INTO doctor_clinics VALUES (\(f.doctorA), \(f.north)), (\(f.doctorB), \(f.south))")
            let rows: [(String, Int64, Int64, Int64, String, Int64?, Bool)] = [
                ("2026-06-02T07:00:00Z", f.doctorA, f.north, f.alice, "completed", f.checkup, false),
                ("2026-06-02T07:30:00Z", f.doctorA, f.north, f.alice, "no_show", f.checkup, false),
                ("2026-06-02T08:00:00Z", f.doctorA, f.north, f.alice, "cancelled", f.consult, true),
                ("2026-06-02T07:00:00Z", f.doctorB, f.south, f.bob, "cancelled", f.consult, false),
                ("2026-06-05T07:00:00Z", f.doctorB, f.south, f.bob, "completed", f.consult, false),
                ("2026-06-05T07:30:00Z", f.doctorB, f.south, f.bob, "confirmed", f.checkup, false),
                ("2026-06-10T13:00:00Z", f.doctorA, f.north, f.alice, "pending", f.checkup, false),
                ("2026-06-10T13:00:00Z", f.doctorB, f.south, f.bob, "confirmed", nil, false),
                ("2026-05-31T22:30:00Z", f.doctorA, f.north, f.alice, "completed", f.checkup, false),
                ("2026-05-31T21:30:00Z", f.doctorA, f.north, f.alice, "completed", f.consult, false),
            ]
            for (start, doctor, clinic, patient, status, type, late) in rows {
                let starts = utc(start), ends = utc(start).addingTimeInterval(30 * 60)
                let block = try id("""
                    INSERT INTO time_blocks (doctor_id, clinic_id, starts_at, ends_at, capacity)
                    VALUES (\(doctor), \(clinic), \(starts), \(ends), 1) RETURNING id
                    """)
                f.appointments.append(try id("""
                    INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, appointment_type_id, starts_at, ends_at,
                                              status, reason, cancel_reason, cancelled_late)
                    VALUES (\(block), \(patient), \(doctor), \(clinic), \(type), \(starts), \(ends), \(status), 'Visit',
                            \(status == "cancelled" ? "Changed plans" : nil), \(late))
                    RETURNING id
                    """))
            }
            try db.execute("""
                INSERT INTO time_blocks (doctor_id, clinic_id, starts_at, ends_at, capacity)
                VALUES (\(f.doctorA), \(f.north), \(utc("2026-06-03T07:00:00Z")), \(utc("2026-06-03T08:00:00Z")), 2)
                """)
        }
        return f
    }

    /// A browser signed in as the fixture's admin.
    static func adminBrowser(_ t: TestApp) -> Browser {
        let b = t.browser()
        b.signIn(adminEmail)
        return b
    }
}

@Suite("Statistics: counts of a known fixture")
struct StatisticsTests {
    static let period = (from: LocalDate(year: 2026, month: 6, day: 1), to: LocalDate(year: 2026, month: 6, day: 10))
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    func statistics(_ t: TestApp, clinic: Int64? = nil, doctor: Int64? = nil) throws -> Statistics {
        let days = (0...9).map { Self.period.from.adding(days: $0) }
        let range = TimeRange(start: startOfDay(Self.period.from, in: Self.berlin), end: startOfDay(Self.period.to.adding(days: 1), in: Self.berlin))
        return try t.pool.withConnection { db in
            try StatisticsStore().statistics(StatisticsFilter(range: range, zone: "Europe/Berlin", clinicID: clinic, doctorID: doctor),
                                             days: days, now: t.clock.now(), on: db)
        }
    }

    @Test func totalsStatusesTypesAndRatesMatchTheHandCount() throws {
        let t = try TestApp()
        _ = try AdminFixture.seed(t)
        let stats = try statistics(t)
        #expect(stats.total == 9)  // #10 is 23:30 on 31 May in Berlin: outside
        #expect(stats.byStatus == [.completed: 3, .noShow: 1, .cancelled: 2, .confirmed: 2, .pending: 1])
        #expect(stats.byType.map(\.name) == ["Checkup", "Consult", nil])
        #expect(stats.byType.map(\.count) == [5, 3, 1])
        #expect(stats.noShows == 1)
        #expect(stats.dueNotCancelled == 5)  // #1 #2 #5 #6 #9; #7 and #8 start later today
        #expect(stats.noShowRate == 0.2)
        #expect(stats.lateCancellations == 1)
        #expect(abs(stats.lateCancellationRate - 1.0 / 9.0) < 1e-9)
        #expect(abs(stats.averagePerDay - 0.9) < 1e-9)
    }

    @Test func perDayCountsUseTheClinicsCalendarDaysAndZeroFill() throws {
        let t = try TestApp()
        _ = try AdminFixture.seed(t)
        let stats = try statistics(t)
        #expect(stats.perDay.count == 10)
        #expect(stats.perDay.map(\.count) == [1, 4, 0, 0, 2, 0, 0, 0, 0, 2])
        #expect(stats.perDay.first?.date == LocalDate(year: 2026, month: 6, day: 1))
    }

    @Test func utilisationIsBookedOverOfferedMinutesPerDoctor() throws {
        let t = try TestApp()
        _ = try AdminFixture.seed(t)
        let stats = try statistics(t)
        #expect(stats.utilisation.map(\.name) == ["Anna Doctor", "Boris Doctor"])
        // A: blocks #1 #2 #3 #7 #9 (5 × 30) + 60 × 2 = 270 offered; #1 #7 #9 hold seats = 90.
        #expect(stats.utilisation[0].offeredMinutes == 270)
        #expect(stats.utilisation[0].bookedMinutes == 90)
        // B: blocks #4 #5 #6 #8 = 120 offered; #5 #6 #8 hold seats = 90.
        #expect(stats.utilisation[1].offeredMinutes == 120)
        #expect(stats.utilisation[1].bookedMinutes == 90)
        #expect(stats.utilisation[1].ratio == 0.75)
    }

    @Test func clinicAndDoctorFiltersNarrowEveryFigure() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let south = try statistics(t, clinic: f.south)
        #expect(south.total == 4)
        #expect(south.byStatus[.cancelled] == 1)
        #expect(south.utilisation.map(\.name) == ["Boris Doctor"])
        let doctorA = try statistics(t, doctor: f.doctorA)
        #expect(doctorA.total == 5)
        #expect(doctorA.lateCancellations == 1)
        #expect(doctorA.noShowRate == 1.0 / 3.0)  // #2 among #1 #2 #9
    }

    @Test func anEmptyPeriodGivesZerosNotErrors() throws {
        let t = try TestApp()
        let stats = try statistics(t)
        #expect(stats.total == 0)
        #expect(stats.noShowRate == 0)
        #expect(stats.lateCancellationRate == 0)
        #expect(stats.perDay.map(\.count) == Array(repeating: 0, count: 10))
        #expect(stats.utilisation.isEmpty)
    }

    // MARK: - The dashboard page

    @Test func theDashboardShowsTheFiguresChartsAndTablesForAChosenPeriod() throws {
        let t = try TestApp()
        _ = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        let page = b.get("/admin?from=2026-06-01&to=2026-06-10")
        #expect(page.status == 200)
        let html = page.text
        #expect(html.contains("data-kpi=\"total\">9<"))
        #expect(html.contains("data-kpi=\"today\">2<"))
        #expect(html.contains("data-kpi=\"average\">0.9<"))
        #expect(html.contains("data-kpi=\"no-show\">20.0 %<"))
        #expect(html.contains("data-kpi=\"late\">11.1 %<"))
        #expect(html.contains("data-status=\"completed\">3<"))
        #expect(html.contains("Europe/Berlin"))
        // Accessible charts: role, title and description, plus the numbers as tables.
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("role=\"img\" aria-labelledby=\"chart-days-title chart-days-desc\""))
        #expect(html.contains("<desc id=\"chart-status-desc\">Pending: 1, Confirmed: 2"))
        #expect(html.contains("<time datetime=\"2026-06-02\">"))
        #expect(html.contains("<td>270</td>") && html.contains("33.3 %"))
        #expect(html.contains("75.0 %"))
    }

    @Test func theDashboardDefaultsToTheLastThirtyDaysIncludingToday() throws {
        let t = try TestApp()
        _ = try AdminFixture.seed(t)
        let page = AdminFixture.adminBrowser(t).get("/admin")
        #expect(page.status == 200)
        #expect(page.text.contains("2026-05-12 to 2026-06-10"))
        #expect(page.text.contains("data-kpi=\"total\">10<"))  // #10 (31 May) is inside the default period
    }

    @Test func aDoctorFilterOnTheDashboardNarrowsTheFigures() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let page = AdminFixture.adminBrowser(t).get("/admin?from=2026-06-01&to=2026-06-10&doctor=\(f.doctorB)")
        #expect(page.text.contains("data-kpi=\"total\">4<"))
        #expect(page.text.contains("<option value=\"\(f.doctorB)\" selected>Boris Doctor</option>"))
    }

    @Test func malformedOrReversedDatesAre422WithMessagesBesideTheFields() throws {
        let t = try TestApp()
        _ = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        let bad = b.get("/admin?from=2026-02-30&to=2026-06-10")
        #expect(bad.status == 422)
        #expect(bad.text.contains("id=\"from-error\""))
        #expect(bad.text.contains("value=\"2026-02-30\""))
        let reversed = b.get("/admin?from=2026-06-10&to=2026-06-01")
        #expect(reversed.status == 422)
        #expect(reversed.text.contains("id=\"to-error\""))
        let tooLong = b.get("/admin?from=2020-01-01&to=2026-06-01")
        #expect(tooLong.status == 422)
    }
}
