import Foundation
import Postgres
import Testing
@testable import Web

@Suite("Database outages")
struct DatabaseOutageTests {
    /// Refuses new connections to the test database and ends the existing ones, as a restart would.
    private func cutOff(_ t: TestApp, admin: PostgresConnection, name: String, allow: Bool) throws {
        try admin.execute("SELECT set_config('statement_timeout', '0', false) IS NULL AS x")
        try admin.executeScript("ALTER DATABASE \"\(name)\" ALLOW_CONNECTIONS \(allow)")
        if !allow {
            _ = try admin.query("SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()")
        }
    }

    @Test func pagesAnswer503QuicklyWhileTheDatabaseIsGoneAndRecoverByThemselves() throws {
        let t = try TestApp()
        let name: String = try t.pool.withConnection { db in try db.query("SELECT current_database() AS name")[0].decode("name") }
        // PostgreSQL refuses to disallow connections to the database one is connected to.
        let admin = try PostgresConnection(url: try ConnectionString.replacingDatabase(in: t.url, with: "postgres"))
        defer { admin.close() }
        let b = t.browser()
        #expect(b.get("/").status == 200)

        try cutOff(t, admin: admin, name: name, allow: false)
        let started = Date()
        let down = b.get("/")
        #expect(down.status == 503)
        #expect(down.text.contains("Temporarily unavailable"))
        #expect(down.headers["retry-after"] != nil)
        #expect(!down.text.contains("ALLOW_CONNECTIONS") && !down.text.lowercased().contains("postgres"), "no database detail leaks")
        #expect(Date().timeIntervalSince(started) < 3, "fails fast, never hangs")
        #expect(b.get("/readyz").status == 503)
        #expect(b.get("/healthz").status == 200, "the process itself is alive")

        try cutOff(t, admin: admin, name: name, allow: true)
        #expect(b.get("/").status == 200)
        #expect(b.get("/readyz").status == 200)
    }
}
