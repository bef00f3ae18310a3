import Foundation
import Postgres
import Scheduling

/// Accounts, sign-in bookkeeping (failures, locks) and profile changes.
public struct UserStore: Sendable {
    /// How many consecutive failures lock an account, and for how long at most.
    public static let failuresBeforeLock = 5
    public static let maximumLockMinutes = 60

    public init() {}

    /// The account with `email` (case-insensitive), if any.
    /// - Throws: `PostgresError` on database failure.
    public func find(email: String, on db: PostgresConnection) throws -> User? {
        try db.query("SELECT \(unsafeRaw: User.columns) FROM users u WHERE u.email = \(email)::citext").first.map(User.init)
    }

    /// The account with `id`, if any.
    /// - Throws: `PostgresError` on database failure.
    public func find(id: Int64, on db: PostgresConnection) throws -> User? {
        try db.query("SELECT \(unsafeRaw: User.columns) FROM users u WHERE u.id = \(id)").first.map(User.init)
    }

    /// Creates an account and audits it.
    /// - Throws: `PostgresError.uniqueViolation(constraint: "users_email_unique")` when the email is taken.
    public func create(_ user: NewUser, actor: Actor, audit: AuditStore, on db: PostgresConnection) throws -> Int64 {
        let row = try db.query("""
            INSERT INTO users (role, email, password_hash, full_name, phone, date_of_birth, must_change_password)
            VALUES (\(user.role.rawValue), \(user.email), \(user.passwordHash), \(user.fullName), \(user.phone),
                    \(user.dateOfBirth), \(user.mustChangePassword))
            RETURNING id
            """)
        let id: Int64 = try row[0].decode("id")
        try audit.record(actor: actor, action: user.role == .patient && actor.userID == nil ? "user.registered" : "user.created",
                         entity: "user", entityID: String(id), details: ["role": user.role.rawValue, "email": user.email], on: db)
        return id
    }

    /// Records a failed sign-in at `now`; locks the account for a growing time (1, 2, 4 … 60 minutes) after repeated failures.
    /// - Returns: whether this failure locked the account.
    /// - Throws: `PostgresError` on database failure.
    public func recordFailedLogin(userID: Int64, now: Date, on db: PostgresConnection) throws -> Bool {
        let rows = try db.query("""
            UPDATE users SET
                failed_logins = failed_logins + 1,
                locked_until = CASE WHEN failed_logins + 1 >= \(Self.failuresBeforeLock)
                    THEN \(now)::timestamptz + make_interval(mins => least(\(Self.maximumLockMinutes),
                                                             power(2, failed_logins + 1 - \(Self.failuresBeforeLock))::int))
                    ELSE locked_until END
            WHERE id = \(userID)
            RETURNING failed_logins
            """)
        let failures: Int = try rows.first?.decode("failed_logins") ?? 0
        return failures >= Self.failuresBeforeLock
    }

    /// Clears the failure count after a successful sign-in.
    /// - Throws: `PostgresError` on database failure.
    public func recordSuccessfulLogin(userID: Int64, on db: PostgresConnection) throws {
        try db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = \(userID) AND (failed_logins <> 0 OR locked_until IS NOT NULL)")
    }

    /// Lifts a lock (admin action).
    /// - Throws: `PostgresError` on database failure.
    public func unlock(userID: Int64, on db: PostgresConnection) throws {
        try db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = \(userID)")
    }

    /// Replaces the stored hash (password change or rehash with new parameters).
    /// - Throws: `PostgresError` on database failure.
    public func setPasswordHash(userID: Int64, hash: String, mustChange: Bool = false, on db: PostgresConnection) throws {
        try db.execute("""
            UPDATE users SET password_hash = \(hash), must_change_password = \(mustChange), updated_at = now()
            WHERE id = \(userID)
            """)
    }

    /// Changes the name and phone of an account.
    /// - Throws: `PostgresError` on database failure.
    public func updateProfile(userID: Int64, fullName: String, phone: String?, on db: PostgresConnection) throws {
        try db.execute("UPDATE users SET full_name = \(fullName), phone = \(phone), updated_at = now() WHERE id = \(userID)")
    }

    /// Activates or deactivates an account; deactivation ends its sessions in the same transaction.
    /// - Throws: `PostgresError` on database failure.
    public func setActive(userID: Int64, active: Bool, on db: PostgresConnection) throws {
        try db.execute("UPDATE users SET active = \(active), updated_at = now() WHERE id = \(userID)")
        if !active {
            try db.execute("DELETE FROM sessions WHERE user_id = \(userID)")
        }
    }

    /// Number of accounts per role, for the landing page and statistics.
    /// - Throws: `PostgresError` on database failure.
    public func countByRole(on db: PostgresConnection) throws -> [Role: Int] {
        var counts: [Role: Int] = [:]
        for row in try db.query("SELECT role, count(*)::int AS n FROM users WHERE active GROUP BY role") {
            if let role = Role(rawValue: try row.decode("role")) { counts[role] = try row.decode("n") }
        }
        return counts
    }
}
