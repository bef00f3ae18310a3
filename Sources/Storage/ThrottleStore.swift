import Foundation
import Postgres

/// Sign-in failures per client address, shared across processes through PostgreSQL.
public struct ThrottleStore: Sendable {
    /// Failures allowed from one address within `window` before it must wait `lockout`.
    public var maximumFailures: Int
    public var window: TimeInterval
    public var lockout: TimeInterval

    public init(maximumFailures: Int = 20, window: TimeInterval = 15 * 60, lockout: TimeInterval = 15 * 60) {
        self.maximumFailures = maximumFailures
        self.window = window
        self.lockout = lockout
    }

    /// Whether `ip` is currently refused.
    /// - Throws: `PostgresError` on database failure.
    public func isBlocked(ip: String, now: Date, on db: PostgresConnection) throws -> Bool {
        let rows = try db.query("SELECT 1 AS blocked FROM client_throttle WHERE ip = \(ip) AND locked_until > \(now)")
        return !rows.isEmpty
    }

    /// Counts a failure from `ip`; returns whether this one tripped the block.
    /// - Throws: `PostgresError` on database failure.
    public func recordFailure(ip: String, now: Date, on db: PostgresConnection) throws -> Bool {
        let rows = try db.query("""
            INSERT INTO client_throttle AS t (ip, failures, window_started_at)
            VALUES (\(ip), 1, \(now))
            ON CONFLICT (ip) DO UPDATE SET
                failures = CASE WHEN t.window_started_at < \(now.addingTimeInterval(-window)) THEN 1 ELSE t.failures + 1 END,
                window_started_at = CASE WHEN t.window_started_at < \(now.addingTimeInterval(-window)) THEN \(now) ELSE t.window_started_at END
            RETURNING failures
            """)
        let failures: Int = try rows.first?.decode("failures") ?? 0
        guard failures >= maximumFailures else { return false }
        try db.execute("UPDATE client_throttle SET locked_until = \(now.addingTimeInterval(lockout)), failures = 0, window_started_at = \(now) WHERE ip = \(ip)")
        return true
    }

    /// Forgets an address's failures after a successful sign-in.
    /// - Throws: `PostgresError` on database failure.
    public func reset(ip: String, on db: PostgresConnection) throws {
        try db.execute("DELETE FROM client_throttle WHERE ip = \(ip) AND locked_until IS NULL")
    }
}
