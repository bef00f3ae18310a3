import Foundation
import HTTPServer
import Postgres
import Storage
import Testing
@testable import Web

@Suite("Admin: audit log page, filters, paging, CSV and integrity")
struct AdminAuditTests {
    func setUp() throws -> (TestApp, Browser, Int64) { try TestApp.withSignedInAdmin() }

    func record(_ t: TestApp, _ count: Int, action: String = "test.event", entity: String = "thing", entityID: String = "1") throws {
        try t.pool.transaction { db in
            for _ in 0..<count { try AuditStore().record(actor: .system, action: action, entity: entity, entityID: entityID, on: db) }
        }
    }

    /// Entry ids listed on a page, in order.
    func listedIDs(_ html: String) -> [Int64] {
        html.components(separatedBy: "<tr><td>").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }

    @Test func filtersByActorActionEntityAndEntityNumber() throws {
        let (t, b, admin) = try setUp()
        try record(t, 2, action: "thing.made", entity: "thing", entityID: "7")
        try record(t, 1, action: "thing.made", entity: "thing", entityID: "8")
        #expect(listedIDs(b.get("/admin/audit?entity=thing&entity_id=7").text).count == 2)
        #expect(listedIDs(b.get("/admin/audit?entity=thing").text).count == 3)
        let byEmail = b.get("/admin/audit?actor=root%40example.org").text
        #expect(byEmail.contains("auth.login") && !byEmail.contains("thing.made"))
        #expect(b.get("/admin/audit?actor=\(admin)").text.contains("auth.login"))
        let byRole = b.get("/admin/audit?actor=system&action=thing.made").text
        #expect(listedIDs(byRole).count == 3)
        let unknown = b.get("/admin/audit?actor=nobody%40example.org")
        #expect(unknown.status == 200 && unknown.text.contains("No entry matches"))
    }

    @Test func dateFiltersAreWholeUTCDays() throws {
        let (t, b, _) = try setUp()
        try t.pool.withConnection { db in
            try db.execute("""
                INSERT INTO audit_log (at, actor_role, action) VALUES
                    ('2026-06-10T23:59:59Z', 'system', 'day.ten'), ('2026-06-11T00:00:00Z', 'system', 'day.eleven')
                """)
        }
        let tenth = b.get("/admin/audit?from=2026-06-10&to=2026-06-10").text
        #expect(tenth.contains("day.ten") && !tenth.contains("day.eleven"))
        let eleventh = b.get("/admin/audit?from=2026-06-11&to=2026-06-11").text
        #expect(eleventh.contains("day.eleven") && !eleventh.contains("day.ten"))
        #expect(b.get("/admin/audit?to=2026-06-10&action=day.eleven").text.contains("No entry matches"))
        #expect(b.get("/admin/audit?from=2099-01-01").text.contains("No entry matches"))
        #expect(b.get("/admin/audit?from=June").status == 422)
        #expect(b.get("/admin/audit?from=2026-06-11&to=2026-06-10").status == 422)
        #expect(b.get("/admin/audit").text.contains("in UTC"))
    }

    /// The "older entries" link of a page, decoded from HTML.
    func nextLink(_ html: String) -> String? {
        guard let end = html.range(of: "\" rel=\"next\"") else { return nil }
        let before = html[..<end.lowerBound]
        guard let start = before.range(of: "href=\"", options: .backwards) else { return nil }
        return String(before[start.upperBound...]).replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test func keysetPagesRunFromNewestToOldestWithoutGapsOrRepeats() throws {
        let (t, b, _) = try setUp()
        try record(t, 120)
        var next: String? = "/admin/audit?action=test.event"
        var seen: [Int64] = []
        var pages = 0
        while let link = next, pages < 10 {
            let html = b.get(link).text
            seen += listedIDs(html)
            pages += 1
            #expect(html.contains("Newest entries") == (pages > 1))
            next = nextLink(html)
        }
        #expect(pages == 3)
        #expect(seen.count == 120 && Set(seen).count == 120)
        #expect(seen == seen.sorted(by: >))
        #expect(b.get("/admin/audit?action=test.event&before=1").text.contains("No entry matches"))
    }

    @Test func theCSVExportStreamsEveryMatchingRowNeutralisedAndIsAudited() throws {
        let (t, b, _) = try setUp()
        try record(t, 3, action: "=cmd|' /C calc'!A0", entity: "thing", entityID: "-1")
        try record(t, 2, action: "other")
        let response = b.get("/admin/audit.csv?entity=thing&action=%3Dcmd%7C%27%20%2FC%20calc%27%21A0")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(response.body.isEmpty && response.stream != nil)
        let csv = try response.streamedText()
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 4)
        #expect(lines[0] == "\u{FEFF}" + AuditStore.exportColumns.joined(separator: ","))
        #expect(lines[1].contains(",'=cmd|' /C calc'!A0,thing,'-1,"))
        #expect(!csv.contains(",other,"))
        #expect(try t.auditActions().last == "audit.exported")
        #expect(b.get("/admin/audit.csv?from=nonsense").status == 400)
    }

    @Test func theExportWalksEveryBatchNewestFirst() throws {
        let (t, _, _) = try setUp()
        try record(t, 25)
        var ids: [Int64] = []
        try AuditStore().export(AuditStore.Filter(action: "test.event"), batchSize: 7, pool: t.pool) { batch in
            #expect(batch.count <= 7)
            ids += batch.map { Int64($0[0])! }
        }
        #expect(ids.count == 25 && ids == ids.sorted(by: >))
    }

    @Test func theIntegrityCheckOnThePageReportsIntactThenTheFirstBrokenEntry() throws {
        let (t, b, _) = try setUp()
        try record(t, 3)
        let intact = b.get("/admin/audit?verify=1")
        #expect(intact.text.contains("Audit chain intact:"))
        // A superuser disables the trigger and rewrites history: the page names the entry.
        try t.pool.withConnection { db in
            try db.executeScript("""
                ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                UPDATE audit_log SET details = '{"edited": "yes"}' WHERE id = 3;
                ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
                """)
        }
        let broken = b.get("/admin/audit?verify=1")
        #expect(broken.status == 200)
        #expect(broken.text.contains("Audit chain broken at position 3 (entry 3): contents do not match their hash."))
        #expect(broken.text.contains("class=\"notice-warn\""))
    }
}
