import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why tests cannot get a database; tests that need PostgreSQL fail with it instead of skipping.
public struct TestDatabaseError: Error, CustomStringConvertible {
    /// What went wrong, including the underlying error.
    public let description: String
}

/// Fresh, isolated PostgreSQL databases for tests.
///
/// The first call in a test process starts one throwaway cluster in a temporary directory (or uses
/// the server of `TEST_DATABASE_URL`) and builds `clinic_template` with the real `Migrations/`.
/// Each `fresh()` then clones that template, which takes milliseconds, so every test gets its own
/// database. The cluster is stopped and its directory removed when the process exits.
public enum TestDatabase {
    /// A new database with every migration of the repository's `Migrations/` applied, and a pool of 4 on it.
    ///
    /// Throws `TestDatabaseError` naming the reason when PostgreSQL cannot be started or a migration fails.
    public static func fresh() throws -> (url: String, pool: PostgresPool) {
        try TestServer.shared().createDatabase(migrated: true)
    }

    /// A new database with no migrations applied (for migrator tests), and a pool of 4 on it.
    ///
    /// Throws `TestDatabaseError` naming the reason when PostgreSQL cannot be started.
    public static func freshEmpty() throws -> (url: String, pool: PostgresPool) {
        try TestServer.shared().createDatabase(migrated: false)
    }

    /// The repository's `Migrations/` directory, found from this file's location.
    public static var migrationsDirectory: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Migrations").path
    }

    /// A logger for test pools and clusters that only reports problems.
    public static var logger: Logger {
        var logger = Logger(label: "clinic.test-database")
        logger.logLevel = .warning
        return logger
    }
}

/// The one server of this test process and the databases created on it.
private final class TestServer: @unchecked Sendable {
    private static let startLock = NSLock()
    nonisolated(unsafe) private static var started: Result<TestServer, TestDatabaseError>?
    /// Kept separately so the `atexit` handler (a C function pointer) can reach it.
    nonisolated(unsafe) private static var clusterToStop: (EmbeddedPostgres, String)?
    nonisolated(unsafe) private static var externalToDrop: TestServer?

    private let adminURL: String
    private let namePrefix: String
    private let templateName: String
    /// Serialises CREATE DATABASE: cloning needs exclusive access to the template.
    private let lock = NSLock()
    private var admin: PostgresConnection?
    private var template: Result<Void, TestDatabaseError>?
    private var counter = 0
    private var created: [String] = []

    private init(adminURL: String, namePrefix: String, templateName: String) {
        self.adminURL = adminURL
        self.namePrefix = namePrefix
        self.templateName = templateName
    }

    static func shared() throws -> TestServer {
        startLock.lock()
        defer { startLock.unlock() }
        if started == nil { started = Result { try start() }.mapError { error in
            error as? TestDatabaseError ?? TestDatabaseError(description: "PostgreSQL for tests could not be started: \(error)")
        } }
        return try started!.get()
    }

    private static func start() throws -> TestServer {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            // A shared server may serve several test runs at once: names carry this process's id.
            let server = TestServer(adminURL: url, namePrefix: "t_\(getpid())_", templateName: "clinic_template_\(getpid())")
            externalToDrop = server
            atexit { TestServer.externalToDrop?.dropCreatedDatabases() }
            return server
        }
        removeAbandonedClusters()
        let base = NSTemporaryDirectory() + "clinic-portal-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        // Searchable by the postgres account, which owns the cluster when tests run as root.
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let cluster = EmbeddedPostgres(dataDirectory: base + "/postgres", logger: TestDatabase.logger, durable: false,
                                       settings: ["max_connections": "300"])
        clusterToStop = (cluster, base)
        atexit {
            guard let (cluster, base) = TestServer.clusterToStop else { return }
            cluster.stop()
            try? FileManager.default.removeItem(atPath: base)
        }
        try cluster.start()
        guard let adminURL = cluster.connectionString(database: "postgres") else {
            throw TestDatabaseError(description: "embedded PostgreSQL started but reported no connection string")
        }
        return TestServer(adminURL: adminURL, namePrefix: "t_", templateName: "clinic_template")
    }

    /// Stops clusters whose test process died without running its `atexit` handler, and removes their directories.
    private static func removeAbandonedClusters() {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("clinic-portal-test-") {
            let fields = name.dropFirst("clinic-portal-test-".count).split(separator: "-")
            guard let pid = fields.first.flatMap({ pid_t($0) }), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let base = temporary + name
            EmbeddedPostgres(dataDirectory: base + "/postgres", logger: TestDatabase.logger).stop()
            try? FileManager.default.removeItem(atPath: base)
        }
    }

    func createDatabase(migrated: Bool) throws -> (url: String, pool: PostgresPool) {
        lock.lock()
        defer { lock.unlock() }
        if migrated { try buildTemplateOnce() }
        counter += 1
        let name = "\(namePrefix)\(counter)"
        let source = migrated ? templateName : "template0"
        do {
            try adminConnection().execute(.unsafeRaw("CREATE DATABASE \(quote(name)) TEMPLATE \(quote(source))"))
            created.append(name)
            let url = try ConnectionString.replacingDatabase(in: adminURL, with: name)
            return (url, PostgresPool(url: url, size: 4, acquireTimeout: 5, logger: TestDatabase.logger))
        } catch {
            throw TestDatabaseError(description: "cannot create test database \(name): \(error)")
        }
    }

    private func buildTemplateOnce() throws {
        if template == nil {
            template = Result {
                try adminConnection().execute(.unsafeRaw("DROP DATABASE IF EXISTS \(quote(templateName))"))
                try adminConnection().execute(.unsafeRaw("CREATE DATABASE \(quote(templateName)) TEMPLATE template0"))
                created.append(templateName)
                let url = try ConnectionString.replacingDatabase(in: adminURL, with: templateName)
                let pool = PostgresPool(url: url, size: 1, logger: TestDatabase.logger)
                // The template must have no sessions left when it is cloned.
                defer { pool.close() }
                try Migrator(directory: TestDatabase.migrationsDirectory, logger: TestDatabase.logger).migrate(pool)
            }.mapError { TestDatabaseError(description: "cannot build \(templateName) from \(TestDatabase.migrationsDirectory): \($0)") }
        }
        try template!.get()
    }

    private func adminConnection() throws -> PostgresConnection {
        if let admin, !admin.isBroken { return admin }
        let connection = try PostgresConnection(url: adminURL, statementTimeoutMilliseconds: 60_000)
        admin = connection
        return connection
    }

    fileprivate func dropCreatedDatabases() {
        lock.lock()
        defer { lock.unlock() }
        for name in created {
            _ = try? adminConnection().execute(.unsafeRaw("DROP DATABASE IF EXISTS \(quote(name)) WITH (FORCE)"))
        }
    }

    private func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
