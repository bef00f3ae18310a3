import Foundation
import HTTPServer
import Postgres
import Scheduling
import Storage
import Testing
@testable import Web

@Suite("Admin: all appointments")
struct AdminAppointmentsTests {
    /// Appointment ids listed on a page, in order.
    func listedIDs(_ html: String) -> [Int64] {
        html.components(separatedBy: "<tr><td><a href=\"/admin/appointments/").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }

    @Test func everyFilterNarrowsTheList() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        let a = f.appointments
        #expect(Set(listedIDs(b.get("/admin/appointments").text)) == Set(a[1...10]))
        #expect(Set(listedIDs(b.get("/admin/appointments?clinic=\(f.south)").text)) == [a[4], a[5], a[6], a[8]])
        #expect(Set(listedIDs(b.get("/admin/appointments?doctor=\(f.doctorA)").text)) == [a[1], a[2], a[3], a[7], a[9], a[10]])
        #expect(Set(listedIDs(b.get("/admin/appointments?patient=BOB").text)) == [a[4], a[5], a[6], a[8]])
        #expect(Set(listedIDs(b.get("/admin/appointments?patient=\(f.alice)").text)).count == 6)
        #expect(Set(listedIDs(b.get("/admin/appointments?status=cancelled").text)) == [a[3], a[4]])
        #expect(Set(listedIDs(b.get("/admin/appointments?type=\(f.consult)").text)) == [a[3], a[4], a[5], a[10]])
        // Dates are the clinic's: #9 starts 22:30 UTC on 31 May, which is 1 June in Berlin; #10 is 31 May there.
        #expect(listedIDs(b.get("/admin/appointments?from=2026-06-01&to=2026-06-01").text) == [a[9]])
        #expect(listedIDs(b.get("/admin/appointments?to=2026-05-31").text) == [a[10]])
        #expect(Set(listedIDs(b.get("/admin/appointments?from=2026-06-05&to=2026-06-05&status=completed").text)) == [a[5]])
        let empty = b.get("/admin/appointments?status=arrived")
        #expect(empty.status == 200 && empty.text.contains("No appointment matches"))
        #expect(b.get("/admin/appointments?from=yesterday").status == 422)
    }

    @Test func sortingFollowsTheChosenColumnAndDirection() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        let a = f.appointments
        let newestFirst = listedIDs(b.get("/admin/appointments").text)
        #expect(newestFirst.first == a[8] || newestFirst.first == a[7])
        #expect(newestFirst.last == a[10])
        #expect(listedIDs(b.get("/admin/appointments?sort=start&dir=asc").text).first == a[10])
        let byPatient = listedIDs(b.get("/admin/appointments?sort=patient&dir=asc").text)
        #expect(Set(byPatient.prefix(6)) == Set([a[1], a[2], a[3], a[7], a[9], a[10]]))  // Alice before Bob
        let byPatientDesc = listedIDs(b.get("/admin/appointments?sort=patient&dir=desc").text)
        #expect(Set(byPatientDesc.prefix(4)) == Set([a[4], a[5], a[6], a[8]]))
        let page = b.get("/admin/appointments?sort=doctor&dir=asc").text
        #expect(page.contains("aria-sort=\"ascending\""))
        #expect(page.contains("sort=doctor&amp;dir=desc"))  // the header link flips the direction
        #expect(b.get("/admin/appointments?sort=nonsense").status == 200)
    }

    @Test func pagesOfFiftyWithFirstLastAndOutOfRangeEdges() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        try t.pool.withConnection { db in
            try db.execute("""
                WITH blocks AS (
                    INSERT INTO time_blocks (doctor_id, clinic_id, starts_at, ends_at, capacity)
                    SELECT \(f.doctorB), \(f.south), timestamptz '2026-07-01 08:00Z' + n * interval '1 hour',
                           timestamptz '2026-07-01 08:30Z' + n * interval '1 hour', 1
                    FROM generate_series(0, 49) AS n RETURNING id, starts_at, ends_at)
                INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, reason)
                SELECT id, \(f.bob), \(f.doctorB), \(f.south), starts_at, ends_at, 'confirmed', 'Bulk' FROM blocks
                """)
        }
        let b = AdminFixture.adminBrowser(t)
        let first = b.get("/admin/appointments").text
        #expect(listedIDs(first).count == 50)
        #expect(first.contains("Page 1 of 2 (60 in all)"))
        #expect(!first.contains("rel=\"prev\"") && first.contains("rel=\"next\""))
        let last = b.get("/admin/appointments?page=2").text
        #expect(listedIDs(last).count == 10)
        #expect(last.contains("rel=\"prev\"") && !last.contains("rel=\"next\""))
        #expect(Set(listedIDs(first)).isDisjoint(with: listedIDs(last)))
        #expect(listedIDs(b.get("/admin/appointments?page=7").text) == listedIDs(last))
        // Filters survive paging.
        #expect(b.get("/admin/appointments?status=confirmed").text.contains("status=confirmed&amp;sort=start&amp;dir=desc&amp;page=2"))
    }

    @Test func theDetailPageShowsEverythingAndOffersTheAdminsMoves() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        let page = b.get("/admin/appointments/\(f.appointments[7])")
        #expect(page.status == 200)
        #expect(page.text.contains("Alice Patient") && page.text.contains("Anna Doctor") && page.text.contains("Europe/Berlin"))
        #expect(page.text.contains("<option value=\"confirmed\">") && page.text.contains("<option value=\"cancelled\">"))
        #expect(!page.text.contains("<option value=\"no_show\">"))  // not started yet
        #expect(b.get("/admin/appointments/999999").status == 404)
        #expect(b.get("/admin/appointments/abc").status == 404)
    }

    @Test func statusChangesFollowTheDoctorsRulesAndAreAudited() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        let b = AdminFixture.adminBrowser(t)
        let a = f.appointments
        func status(_ id: Int64) throws -> String {
            try t.pool.withConnection { db in try db.query("SELECT status FROM appointments WHERE id = \(id)")[0].decode("status") }
        }
        let page = "/admin/appointments/\(a[7])"
        #expect(b.submit(page, to: page + "/status", ["status": "confirmed", "version": "1"]).status == 303)
        #expect(try status(a[7]) == "confirmed")
        #expect(try t.auditActions().last == "appointment.status_changed")
        // The form loaded before that change is stale now.
        #expect(b.post(page + "/status", ["status": "cancelled", "reason": "x", "version": "1"]).status == 409)
        // A cancellation needs a reason: 422, nothing changes.
        let noReason = b.submit(page, to: page + "/status", ["status": "cancelled", "reason": " ", "version": "2"])
        #expect(noReason.status == 422 && noReason.text.contains("id=\"reason-error\""))
        #expect(try status(a[7]) == "confirmed")
        // A no-show before the start is refused.
        #expect(b.post(page + "/status", ["status": "no_show", "version": "2"]).status == 409)
        #expect(b.submit(page, to: page + "/status", ["status": "cancelled", "reason": "Doctor ill", "version": "2"]).status == 303)
        let row = try t.pool.withConnection { db in
            try db.query("SELECT cancel_reason, cancelled_by, (SELECT booked FROM time_blocks WHERE id = a.time_block_id) AS booked FROM appointments a WHERE id = \(a[7])")[0]
        }
        #expect(try row.decode("cancel_reason", as: String?.self) == "Doctor ill")
        #expect(try row.decode("cancelled_by", as: Int64?.self) == f.admin)
        #expect(try row.decode("booked", as: Int.self) == 0)  // the seat is free at once
        #expect(try t.auditActions().last == "appointment.cancelled")
        // Nothing moves backwards; a completed one stays completed.
        #expect(b.post("/admin/appointments/\(a[1])/status", ["status": "confirmed", "version": "1"]).status == 409)
        // A past confirmed appointment can be marked a no-show.
        let past = "/admin/appointments/\(a[6])"
        #expect(b.submit(past, to: past + "/status", ["status": "no_show", "version": "1"]).status == 303)
        #expect(try status(a[6]) == "no_show")
    }

    @Test func theCSVExportHasTheFilteredRowsQuotedAndNeutralised() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        try t.pool.withConnection { db in
            try db.execute("UPDATE appointments SET reason = '=HYPERLINK(\"http://evil\",\"click\")' WHERE id = \(f.appointments[5])")
            try db.execute("UPDATE appointments SET reason = 'Pain, left knee' WHERE id = \(f.appointments[6])")
        }
        let b = AdminFixture.adminBrowser(t)
        let response = b.get("/admin/appointments.csv?clinic=\(f.south)")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(response.headers["content-disposition"]?.hasPrefix("attachment; filename=\"appointments-2026-06-10.csv\"") == true)
        #expect(response.body.isEmpty && response.stream != nil)
        let csv = try response.streamedText()
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 5)  // header + #4 #5 #6 #8
        #expect(lines[0].hasPrefix("\u{FEFF}id,starts_at_local,"))
        #expect(csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\","))
        #expect(csv.contains(",\"Pain, left knee\","))
        #expect(csv.contains("2026-06-05 09:00,2026-06-05 09:30,Europe/Berlin,2026-06-05T07:00:00Z,completed,South,Boris Doctor"))
        #expect(!csv.contains("Alice Patient"))
        #expect(try t.auditActions().last == "appointments.exported")
    }

    @Test func theExportWalksEveryBatch() throws {
        let t = try TestApp()
        let f = try AdminFixture.seed(t)
        var seen: [Int64] = []
        try AppointmentStore().adminExport(AdminAppointmentFilter(), batchSize: 3, pool: t.pool) { batch in
            #expect(batch.count <= 3)
            seen += batch.map(\.id)
        }
        #expect(seen.count == 10 && Set(seen) == Set(f.appointments[1...10]))
        #expect(seen.first == f.appointments[10])  // by start
    }
}
