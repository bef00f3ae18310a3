import Foundation
import Postgres
import Testing
import TestSupport

struct MigratorTests {
    /// A temporary migrations directory with the given files.
    private func migrationsDirectory(_ files: [String: String]) throws -> String {
        let directory = NSTemporaryDirectory() + "clinic-portal-migrations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        return directory
    }

    private let files = [
        "0001_patients.sql": "CREATE TABLE patients (id int PRIMARY KEY);\n",
        "0002_names.sql": "ALTER TABLE patients ADD COLUMN name text;\nINSERT INTO patients VALUES (1, 'first');\n",
        "0010_emails.sql": "ALTER TABLE patients ADD COLUMN email text;\n",
        "README.md": "not a migration",
    ]

    @Test func appliesFilesInNumericOrderAndRecordsChecksums() throws {
        let directory = try migrationsDirectory(files)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        let migrator = Migrator(directory: directory, logger: TestDatabase.logger)
        #expect(try migrator.migrate(pool) == ["0001", "0002", "0010"])
        let recorded = try pool.withConnection { (c: PostgresConnection) throws in
            try c.query("SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version").map {
                (try $0.decode("version", as: String.self), try $0.decode("checksum", as: String.self), try $0.decode("applied_at", as: Date.self))
            }
        }
        #expect(recorded.map(\.0) == ["0001", "0002", "0010"])
        // sha256sum of the first file's bytes.
        #expect(recorded[0].1 == "d7d97293aaee0eebc92baa106c19fba192593078fb1f4ca32b2ca97358eca6bd")
        #expect(abs(recorded[0].2.timeIntervalSinceNow) < 60)
        #expect(try pool.withConnection { try $0.query("SELECT name, email FROM patients").count } == 1)
        // A second run has nothing to do.
        #expect(try migrator.migrate(pool) == [])
    }

    @Test func laterFilesAreAppliedOnTheNextRun() throws {
        let directory = try migrationsDirectory(["0001_patients.sql": files["0001_patients.sql"]!])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        let migrator = Migrator(directory: directory, logger: TestDatabase.logger)
        #expect(try migrator.migrate(pool) == ["0001"])
        try files["0002_names.sql"]!.write(toFile: directory + "/0002_names.sql", atomically: true, encoding: .utf8)
        #expect(try migrator.migrate(pool) == ["0002"])
    }

    @Test func editedAppliedFileStopsMigrationWithAClearMessage() throws {
        let directory = try migrationsDirectory(files)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        let migrator = Migrator(directory: directory, logger: TestDatabase.logger)
        try migrator.migrate(pool)
        try "CREATE TABLE patients (id bigint PRIMARY KEY);\n".write(toFile: directory + "/0001_patients.sql", atomically: true, encoding: .utf8)
        try "CREATE TABLE later (id int);\n".write(toFile: directory + "/0011_later.sql", atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.checksumMismatch(version: "0001")) { try migrator.migrate(pool) }
        #expect(MigrationError.checksumMismatch(version: "0001").description.contains("edited after it was applied"))
        // Nothing after the refusal ran.
        #expect(try pool.withConnection { try $0.query("SELECT 1 FROM pg_tables WHERE tablename = 'later'").isEmpty })
    }

    @Test func failingFileIsRolledBackAndNotRecorded() throws {
        let directory = try migrationsDirectory([
            "0001_patients.sql": files["0001_patients.sql"]!,
            "0002_broken.sql": "CREATE TABLE half (id int);\nSELECT * FROM no_such_table;\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        #expect {
            try Migrator(directory: directory, logger: TestDatabase.logger).migrate(pool)
        } throws: { error in
            guard case MigrationError.failed(let version, let file, .server(let sqlstate, _))? = error as? MigrationError else { return false }
            return version == "0002" && file == "0002_broken.sql" && sqlstate == "42P01"
        }
        let state = try pool.withConnection { (c: PostgresConnection) throws in
            (try c.query("SELECT version FROM schema_migrations").map { try $0.decode("version", as: String.self) },
             try c.query("SELECT 1 FROM pg_tables WHERE tablename = 'half'").isEmpty)
        }
        #expect(state.0 == ["0001"])
        #expect(state.1)
    }

    @Test func migrationsAreNotCutShortByThePoolStatementTimeout() throws {
        let directory = try migrationsDirectory(["0001_slow.sql": "SELECT pg_sleep(0.5);\n"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (url, seedPool) = try TestDatabase.freshEmpty()
        seedPool.close()
        let pool = PostgresPool(url: url, size: 1, statementTimeoutMilliseconds: 200, logger: TestDatabase.logger)
        defer { pool.close() }
        #expect(try Migrator(directory: directory, logger: TestDatabase.logger).migrate(pool) == ["0001"])
        // The connection goes back to the pool with its timeout intact.
        #expect(throws: PostgresError.queryCanceled) { try pool.withConnection { try $0.query("SELECT pg_sleep(1)") } }
    }

    @Test func duplicateVersionNumbersAreRejected() throws {
        let directory = try migrationsDirectory(["0001_a.sql": "SELECT 1;", "001_b.sql": "SELECT 2;"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        #expect(throws: MigrationError.self) { try Migrator(directory: directory, logger: TestDatabase.logger).migrate(pool) }
    }

    @Test func concurrentMigratorsApplyEachFileExactlyOnce() throws {
        // Each file sleeps so the migrators overlap, and counts how often it ran.
        var slowFiles = ["0001_counter.sql": "CREATE TABLE runs (version text NOT NULL);\nINSERT INTO runs VALUES ('0001');\nSELECT pg_sleep(0.1);\n"]
        for n in 2...4 {
            slowFiles["000\(n)_step.sql"] = "INSERT INTO runs VALUES ('000\(n)');\nSELECT pg_sleep(0.1);\n"
        }
        let directory = try migrationsDirectory(slowFiles)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (url, seedPool) = try TestDatabase.freshEmpty()
        seedPool.close()
        let results = ResultBox()
        let group = DispatchGroup()
        for _ in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                // Separate pools stand for separate processes.
                let pool = PostgresPool(url: url, size: 1, acquireTimeout: 10, logger: TestDatabase.logger)
                defer { pool.close() }
                results.add(Result { try Migrator(directory: directory, logger: TestDatabase.logger).migrate(pool) })
            }
        }
        group.wait()
        let applied = try results.all().flatMap { try $0.get() }
        #expect(applied.sorted() == ["0001", "0002", "0003", "0004"])
        let pool = PostgresPool(url: url, size: 1, logger: TestDatabase.logger)
        defer { pool.close() }
        let runs = try pool.withConnection { try $0.query("SELECT version FROM runs ORDER BY version").map { try $0.decode("version", as: String.self) } }
        #expect(runs == ["0001", "0002", "0003", "0004"])
    }
}

/// Collects results from threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[String], Error>] = []
    func add(_ result: Result<[String], Error>) { lock.lock(); results.append(result); lock.unlock() }
    func all() -> [Result<[String], Error>] { lock.lock(); defer { lock.unlock() }; return results }
}
