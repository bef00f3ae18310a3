import Foundation
import Postgres
import Storage
import Testing
@testable import Web

@Suite("Audit trail: append-only, hash-chained")
struct AuditTrailTests {
    @Test func theChainVerifiesAndDetectsARowEditedBehindTheTriggersBack() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "a@example.org")
        try t.createUser(.patient, email: "b@example.org")
        t.browser().signIn("a@example.org")
        let store = AuditStore()
        #expect(try store.seal(pool: t.pool) >= 3)
        #expect(try store.verify(pool: t.pool) == .intact(entries: try t.count("audit_log")))

        // A superuser disabling the trigger to rewrite history is caught by the chain.
        try t.pool.withConnection { db in
            try db.executeScript("""
                ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                UPDATE audit_log SET action = 'nothing.happened' WHERE id = 2;
                ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
                """)
        }
        guard case .broken(let position, let id, _) = try store.verify(pool: t.pool) else {
            Issue.record("an edited row must break the chain")
            return
        }
        #expect(position == 2)
        #expect(id == 2)
    }

    @Test func theDatabaseRefusesUpdatesAndDeletesOfAuditRows() throws {
        let t = try TestApp()
        try t.createUser(.patient, email: "a@example.org")
        try AuditStore().seal(pool: t.pool)
        #expect(throws: PostgresError.self) {
            try t.pool.withConnection { db in try db.execute("UPDATE audit_log SET action = 'x'") }
        }
        #expect(throws: PostgresError.self) {
            try t.pool.withConnection { db in try db.execute("DELETE FROM audit_log") }
        }
        #expect(throws: PostgresError.self) {
            try t.pool.withConnection { db in try db.execute("UPDATE audit_log SET hash = NULL") }
        }
    }

    @Test func aDeletedRowIsDetectedAsAGap() throws {
        let t = try TestApp()
        for n in 0..<4 { try t.createUser(.patient, email: "u\(n)@example.org") }
        try AuditStore().seal(pool: t.pool)
        try t.pool.withConnection { db in
            try db.executeScript("""
                ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                DELETE FROM audit_log WHERE id = 3;
                ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
                """)
        }
        #expect(try AuditStore().verify(pool: t.pool) == .broken(position: 3, entryID: nil, reason: "entry missing"))
    }

    @Test func concurrentWritersNeverWaitOnTheChainAndSealingKeepsItConsistent() throws {
        let t = try TestApp()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for n in 0..<10 {
                try? t.pool.transaction { db in
                    try AuditStore().record(actor: .system, action: "test.write", entityID: "\(worker)-\(n)", on: db)
                }
            }
        }
        try AuditStore().seal(pool: t.pool, batchSize: 7)
        #expect(try AuditStore().verify(pool: t.pool) == .intact(entries: 80))
    }

    @Test func theAdminAuditPageListsFiltersAndVerifies() throws {
        let t = try TestApp()
        try t.createUser(.admin, email: "root@example.org")
        let b = t.browser()
        b.signIn("root@example.org")
        let page = b.get("/admin/audit?action=auth.login")
        #expect(page.status == 200)
        #expect(page.text.contains("auth.login"))
        #expect(!page.text.contains("user.created"))
        let verified = b.get("/admin/audit?verify=1")
        #expect(verified.text.contains("Audit chain intact"))
    }
}
