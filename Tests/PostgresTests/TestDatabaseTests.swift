import Postgres
import Testing
import TestSupport

struct TestDatabaseTests {
    @Test func freshDatabasesAreSeparateAndMigrated() throws {
        let (firstURL, first) = try TestDatabase.fresh()
        let (secondURL, second) = try TestDatabase.fresh()
        defer { first.close(); second.close() }
        #expect(firstURL != secondURL)
        try first.withConnection { try $0.execute("CREATE TABLE only_in_first (n int)") }
        #expect(try second.withConnection { try $0.query("SELECT 1 FROM pg_tables WHERE tablename = 'only_in_first'").isEmpty })
        // The template was built by the real Migrator, so its bookkeeping table is there.
        #expect(try first.withConnection { try $0.query("SELECT 1 FROM pg_tables WHERE tablename = 'schema_migrations'").count } == 1)
    }

    @Test func freshEmptyDatabaseHasNoMigrations() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        #expect(try pool.withConnection { try $0.query("SELECT 1 FROM pg_tables WHERE tablename = 'schema_migrations'").isEmpty })
    }
}
