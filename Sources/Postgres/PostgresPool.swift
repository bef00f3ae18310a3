import Foundation
import Logging

/// A fixed-size pool of `PostgresConnection`s shared by the worker threads.
///
/// Sized to the worker pool so a worker that blocks on PostgreSQL never waits for another
/// worker's socket (DESIGN.md §2, Threads). Connections open lazily; broken ones (server
/// restart, `pg_terminate_backend`) are detected at check-out or on first use and replaced;
/// a caller that cannot get a connection within `acquireTimeout` gets `.poolTimeout`, never a hang.
public final class PostgresPool: @unchecked Sendable {
    private let url: String
    private let size: Int
    private let acquireTimeout: Double
    private let statementTimeoutMilliseconds: Int
    private let logger: Logger

    /// Guards `idle`, `openCount` and `isClosed`; waiters sleep on it.
    private let condition = NSCondition()
    /// Connections ready for use; the most recently used is reused first, so rarely used ones age out.
    private var idle: [PostgresConnection] = []
    /// Connections that exist or are being opened, checked out or idle.
    private var openCount = 0
    private var isClosed = false

    /// Creates a pool; no connection is opened until the first check-out.
    ///
    /// `url` is a libpq URL or conninfo, `size` the maximum number of connections, `acquireTimeout`
    /// the seconds a caller may wait for one.
    public init(url: String, size: Int, acquireTimeout: Double = 2.0, statementTimeoutMilliseconds: Int = 5000, logger: Logger) {
        precondition(size > 0, "a pool needs at least one connection")
        self.url = url
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.logger = logger
    }

    deinit {
        close()
    }

    /// Runs `body` with a connection checked out for its duration.
    ///
    /// If the connection turns out to be dead before `body` completed a single round trip, the
    /// connection is replaced and `body` runs once more: nothing reached the server, so repeating
    /// is safe. Throws `.poolTimeout`, `.connectionFailed`, or whatever `body` throws.
    @discardableResult
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection(timeout: acquireTimeout, body)
    }

    /// Runs `body` in a transaction, retrying it on serialization failures and deadlocks.
    ///
    /// `body` may run up to `maxAttempts` times, so it must not have effects outside the database
    /// that cannot be repeated. Throws the last error when all attempts fail.
    @discardableResult
    public func transaction<T>(isolation: IsolationLevel? = nil, maxAttempts: Int = 3, _ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withConnection { try $0.transaction(isolation: isolation, body) }
            } catch let error as PostgresError where (error == .serializationFailure || error == .deadlockDetected) && attempt < maxAttempts {
                logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                attempt += 1
                // A short randomised pause so the two conflicting transactions do not collide again in lockstep.
                usleep(UInt32.random(in: 1_000...5_000) * UInt32(attempt))
            }
        }
    }

    /// Whether the database answers `SELECT 1` now, waiting at most half a second for a connection; for `/readyz`.
    public func isReachable() -> Bool {
        do {
            return try withConnection(timeout: min(acquireTimeout, 0.5)) { try $0.query("SELECT 1").count == 1 }
        } catch {
            logger.debug("database not reachable", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Closes idle connections now and checked-out ones when they are returned; later check-outs throw.
    public func close() {
        condition.lock()
        isClosed = true
        condition.unlock()
        discardIdleConnections()
    }

    // MARK: - Check-out

    private func withConnection<T>(timeout: Double, _ body: (PostgresConnection) throws -> T) throws -> T {
        var retried = false
        while true {
            let connection = try acquire(timeout: timeout)
            let roundTripsBefore = connection.completedRoundTrips
            do {
                let value = try body(connection)
                release(connection)
                return value
            } catch let error as PostgresError where error.isConnectionLevel {
                connection.close()
                release(connection)
                // A lost connection usually means a restart or a mass termination: the idle ones are
                // most likely dead as well, so the retry (and later callers) get new connections.
                discardIdleConnections()
                guard !retried, connection.completedRoundTrips == roundTripsBefore else { throw error }
                retried = true
                logger.notice("database connection was lost before use; retrying with a new one", metadata: ["error": "\(error)"])
            } catch {
                release(connection)
                throw error
            }
        }
    }

    private func discardIdleConnections() {
        condition.lock()
        let connections = idle
        idle.removeAll()
        openCount -= connections.count
        condition.broadcast()
        condition.unlock()
        connections.forEach { $0.close() }
    }

    private func acquire(timeout: Double) throws -> PostgresConnection {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        while true {
            if isClosed {
                condition.unlock()
                throw PostgresError.connectionFailed("connection pool is closed")
            }
            if let connection = idle.popLast() {
                condition.unlock()
                if connection.isAliveWhileIdle() { return connection }
                logger.notice("discarding broken database connection")
                connection.close()
                condition.lock()
                openCount -= 1
                continue
            }
            if openCount < size {
                openCount += 1
                condition.unlock()
                do {
                    return try PostgresConnection(url: url, statementTimeoutMilliseconds: statementTimeoutMilliseconds, logger: logger)
                } catch {
                    condition.lock()
                    openCount -= 1
                    condition.signal()
                    condition.unlock()
                    throw error
                }
            }
            if !condition.wait(until: deadline) {
                condition.unlock()
                logger.warning("timed out waiting for a database connection", metadata: ["size": "\(size)"])
                throw PostgresError.poolTimeout
            }
        }
    }

    private func release(_ connection: PostgresConnection) {
        connection.resetTransactionState()
        let reusable = !connection.isBroken && connection.isIdle
        condition.lock()
        // Decided under the lock so a concurrent `close()` and this release never both finish the connection.
        let keep = reusable && !isClosed
        if keep {
            idle.append(connection)
        } else {
            openCount -= 1
        }
        condition.signal()
        condition.unlock()
        if !keep { connection.close() }
    }
}
