import Foundation
import Logging
import Postgres
import Testing
import TestSupport

struct PostgresPoolTests {
    @Test func poolReplacesConnectionsKilledByTerminateBackend() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        // Open two connections and return them to the pool idle.
        let pids = try pool.withConnection { a in
            try pool.withConnection { b in [a.backendPID, b.backendPID] }
        }
        let admin = try PostgresConnection(url: url)
        defer { admin.close() }
        let killed = try admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        #expect(killed.count == 2)
        // Immediately, whether or not the pool has noticed yet: no error reaches the caller.
        for _ in 0..<4 {
            let pid = try pool.withConnection { (c: PostgresConnection) throws in try c.query("SELECT pg_backend_pid() AS pid").first!.decode("pid", as: Int32.self) }
            #expect(!pids.contains(pid))
        }
        #expect(try pool.withConnection { a in try pool.withConnection { b in a.backendPID != b.backendPID } })
    }

    @Test func staleConnectionFailingOnFirstUseIsRetriedWithANewOne() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        let oldPID = try pool.withConnection { $0.backendPID }
        let admin = try PostgresConnection(url: url)
        defer { admin.close() }
        var calls = 0
        try admin.query("SELECT pg_terminate_backend(\(oldPID))")
        let pid = try pool.withConnection { c -> Int32 in
            calls += 1
            return try c.query("SELECT pg_backend_pid() AS pid").first!.decode("pid")
        }
        #expect(pid != oldPID)
        #expect(calls <= 2)
    }

    @Test func exhaustedPoolTimesOutQuicklyInsteadOfHanging() throws {
        let (url, seedPool) = try TestDatabase.freshEmpty()
        seedPool.close()
        let pool = PostgresPool(url: url, size: 1, acquireTimeout: 0.2, logger: TestDatabase.logger)
        defer { pool.close() }
        let started = Date()
        try pool.withConnection { _ in
            #expect(throws: PostgresError.poolTimeout) { try pool.withConnection { _ in } }
        }
        #expect(Date().timeIntervalSince(started) < 1.5)
        // Once returned, the connection serves the next caller.
        #expect(try pool.withConnection { try $0.query("SELECT 1").count } == 1)
    }

    @Test func waitingCallerGetsTheConnectionWhenItIsReturned() throws {
        let (url, seedPool) = try TestDatabase.freshEmpty()
        seedPool.close()
        let pool = PostgresPool(url: url, size: 1, acquireTimeout: 3, logger: TestDatabase.logger)
        defer { pool.close() }
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? pool.withConnection { _ in
                holding.signal()
                usleep(200_000)
            }
            done.signal()
        }
        holding.wait()
        #expect(try pool.withConnection { try $0.query("SELECT 1").count } == 1)
        done.wait()
    }

    @Test func transactionRetriesSerializationFailures() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { try $0.execute("CREATE TABLE doctors_on_call (name text)") }
        let rival = try PostgresConnection(url: url)
        defer { rival.close() }
        var attempts = 0
        try pool.transaction(isolation: .serializable) { tx in
            attempts += 1
            _ = try tx.query("SELECT count(*) FROM doctors_on_call")
            if attempts == 1 {
                // A concurrent serializable transaction reads and writes the same set and commits first.
                try rival.transaction(isolation: .serializable) { r in
                    _ = try r.query("SELECT count(*) FROM doctors_on_call")
                    try r.execute("INSERT INTO doctors_on_call VALUES (\("rival"))")
                }
            }
            try tx.execute("INSERT INTO doctors_on_call VALUES (\("us"))")
        }
        #expect(attempts == 2)
        let names = try pool.withConnection { try $0.query("SELECT name FROM doctors_on_call ORDER BY name").map { try $0.decode("name", as: String.self) } }
        #expect(names == ["rival", "us"])
    }

    @Test func transactionGivesUpAfterMaxAttempts() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        var attempts = 0
        #expect(throws: PostgresError.deadlockDetected) {
            try pool.transaction(maxAttempts: 3) { _ in
                attempts += 1
                throw PostgresError.deadlockDetected
            }
        }
        #expect(attempts == 3)
    }

    @Test func connectionLeftInATransactionIsRolledBackOnReturn() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            try c.execute("CREATE TABLE t (n int)")
            try c.execute("BEGIN")
            try c.execute("INSERT INTO t VALUES (\(1))")
        }
        #expect(try pool.withConnection { try $0.query("SELECT count(*) AS n FROM t").first!.decode("n", as: Int.self) } == 0)
    }

    @Test func reachabilityFollowsTheServerGoingDownAndComingBack() throws {
        let base = NSTemporaryDirectory() + "clinic-portal-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let cluster = EmbeddedPostgres(dataDirectory: base + "/postgres", logger: TestDatabase.logger, durable: false)
        defer {
            cluster.stop()
            try? FileManager.default.removeItem(atPath: base)
        }
        let url = try cluster.start()
        let pool = PostgresPool(url: url, size: 2, acquireTimeout: 1, logger: TestDatabase.logger)
        defer { pool.close() }
        #expect(pool.isReachable())
        cluster.stop()
        let started = Date()
        #expect(!pool.isReachable())
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(throws: PostgresError.self) { try pool.withConnection { try $0.query("SELECT 1") } }
        try cluster.start()
        #expect(pool.isReachable())
        #expect(try pool.withConnection { try $0.query("SELECT 1").count } == 1)
    }
}
