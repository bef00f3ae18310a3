import Crypto
import Foundation
import Postgres
import Scheduling

/// A signed-in browser: the session row joined with its user.
public struct Session: Sendable {
    /// SHA-256 (hex) of the cookie token; the token itself is never stored.
    public var tokenHash: String
    public var csrfSecret: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var user: User
}

/// Server-side sessions in PostgreSQL, so any clinic process serves any user.
public struct SessionStore: Sendable {
    /// Idle timeout and absolute lifetime.
    public var idleTimeout: TimeInterval
    public var absoluteLifetime: TimeInterval

    public init(idleTimeout: TimeInterval = 30 * 60, absoluteLifetime: TimeInterval = 12 * 3600) {
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
    }

    /// The hex SHA-256 of a cookie token, the key sessions are stored under.
    public static func hash(token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).lowercaseHex
    }

    /// Stores a new session for `userID` under the hash of `token`.
    /// - Throws: `PostgresError` on database failure.
    public func create(token: String, csrfSecret: String, userID: Int64, ip: String, userAgent: String, now: Date,
                       on db: PostgresConnection) throws {
        try db.execute("""
            INSERT INTO sessions (token_hash, user_id, csrf_secret, created_at, last_seen_at, expires_at, ip, user_agent)
            VALUES (\(Self.hash(token: token)), \(userID), \(csrfSecret), \(now), \(now),
                    \(now.addingTimeInterval(absoluteLifetime)), \(ip), \(String(userAgent.prefix(300))))
            """)
    }

    /// The live session for `token`: not expired, not idle too long, its user active.
    /// Touches `last_seen_at` at most once a minute so page views do not all write.
    /// - Throws: `PostgresError` on database failure.
    public func find(token: String, now: Date, on db: PostgresConnection) throws -> Session? {
        let hash = Self.hash(token: token)
        let rows = try db.query("""
            SELECT s.token_hash, s.csrf_secret, s.created_at, s.last_seen_at, \(unsafeRaw: User.columns)
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = \(hash) AND s.expires_at > \(now)
              AND s.last_seen_at > \(now.addingTimeInterval(-idleTimeout)) AND u.active
            """)
        guard let row = rows.first else { return nil }
        let session = Session(tokenHash: try row.decode("token_hash"), csrfSecret: try row.decode("csrf_secret"),
                              createdAt: try row.decode("created_at"), lastSeenAt: try row.decode("last_seen_at"),
                              user: try User(row: row))
        if now.timeIntervalSince(session.lastSeenAt) > 60 {
            try db.execute("UPDATE sessions SET last_seen_at = \(now) WHERE token_hash = \(hash)")
        }
        return session
    }

    /// Ends one session (logout).
    /// - Throws: `PostgresError` on database failure.
    public func delete(tokenHash: String, on db: PostgresConnection) throws {
        try db.execute("DELETE FROM sessions WHERE token_hash = \(tokenHash)")
    }

    /// Ends every session of a user but `keeping` (password change ends the others).
    /// - Throws: `PostgresError` on database failure.
    public func deleteAll(userID: Int64, keeping tokenHash: String? = nil, on db: PostgresConnection) throws {
        try db.execute("DELETE FROM sessions WHERE user_id = \(userID) AND token_hash IS DISTINCT FROM \(tokenHash)")
    }

    /// Removes expired sessions; run now and then.
    /// - Throws: `PostgresError` on database failure.
    public func purgeExpired(now: Date, on db: PostgresConnection) throws {
        try db.execute("DELETE FROM sessions WHERE expires_at <= \(now) OR last_seen_at <= \(now.addingTimeInterval(-idleTimeout))")
    }
}
