import Foundation
import Postgres
import Testing
import TestSupport

struct PostgresConnectionTests {
    @Test func executeReportsAffectedRowsAndQueryReturnsThem() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        defer { c.close() }
        try c.executeScript("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); CREATE INDEX ON items (name);")
        #expect(try c.execute("INSERT INTO items VALUES (\(1), \("a")), (\(2), \("b")), (\(3), \("c"))") == 3)
        #expect(try c.execute("UPDATE items SET name = upper(name) WHERE id >= \(2)") == 2)
        let rows = try c.query("SELECT id, name FROM items ORDER BY id")
        #expect(try rows.map { try $0.decode("name", as: String.self) } == ["a", "B", "C"])
        #expect(rows.first?.columnNames == ["id", "name"])
    }

    @Test func transactionCommitsWhenTheBodyReturns() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        defer { c.close() }
        try c.execute("CREATE TABLE t (n int)")
        let value = try c.transaction { tx -> Int in
            try tx.execute("INSERT INTO t VALUES (\(1))")
            return 42
        }
        #expect(value == 42)
        #expect(try c.query("SELECT count(*) AS n FROM t").first?.decode("n", as: Int.self) == 1)
    }

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        struct Boom: Error {}
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        defer { c.close() }
        try c.execute("CREATE TABLE t (n int)")
        #expect(throws: Boom.self) {
            try c.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (\(1))")
                throw Boom()
            }
        }
        #expect(try c.query("SELECT count(*) AS n FROM t").first?.decode("n", as: Int.self) == 0)
        // The connection is usable again, outside any transaction.
        #expect(try c.execute("INSERT INTO t VALUES (\(2))") == 1)
    }

    @Test func nestedTransactionRollsBackOnlyItsOwnWork() throws {
        struct Boom: Error {}
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        defer { c.close() }
        try c.execute("CREATE TABLE t (n int)")
        try c.transaction { tx in
            try tx.execute("INSERT INTO t VALUES (\(1))")
            _ = try? tx.transaction { inner in
                try inner.execute("INSERT INTO t VALUES (\(2))")
                throw Boom()
            }
            try tx.execute("INSERT INTO t VALUES (\(3))")
        }
        #expect(try c.query("SELECT n FROM t ORDER BY n").map { try $0.decode("n", as: Int.self) } == [1, 3])
    }

    @Test func swallowedErrorInsideTransactionDoesNotPretendToCommit() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        defer { c.close() }
        try c.execute("CREATE TABLE t (n int PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try c.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (\(1))")
                _ = try? tx.execute("INSERT INTO t VALUES (\(1))")
            }
        }
        #expect(try c.query("SELECT count(*) AS n FROM t").first?.decode("n", as: Int.self) == 0)
    }

    @Test func statementTimeoutRaisesQueryCanceled() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url, statementTimeoutMilliseconds: 100)
        defer { c.close() }
        let started = Date()
        #expect(throws: PostgresError.queryCanceled) { try c.query("SELECT pg_sleep(5)") }
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(!c.isBroken)
    }

    @Test func sessionIsUTCAndISO() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        defer { c.close() }
        let row = try #require(c.query("SELECT current_setting('TimeZone') AS tz, current_setting('DateStyle') AS ds, current_setting('client_encoding') AS enc").first)
        #expect(try row.decode("tz", as: String.self) == "UTC")
        #expect(try row.decode("ds", as: String.self).hasPrefix("ISO"))
        #expect(try row.decode("enc", as: String.self) == "UTF8")
    }

    @Test func unreachableServerThrowsConnectionFailed() {
        #expect {
            _ = try PostgresConnection(url: "host=/nonexistent-socket-dir dbname=x connect_timeout=1")
        } throws: { error in
            guard case PostgresError.connectionFailed(let message)? = error as? PostgresError else { return false }
            return message.contains("nonexistent-socket-dir")
        }
    }

    @Test func closedConnectionIsBrokenAndThrows() throws {
        let (url, pool) = try TestDatabase.freshEmpty()
        pool.close()
        let c = try PostgresConnection(url: url)
        #expect(!c.isBroken)
        c.close()
        #expect(c.isBroken)
        #expect(throws: PostgresError.self) { try c.query("SELECT 1") }
    }
}
