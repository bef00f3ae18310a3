import Foundation
import Postgres
import Scheduling

/// Criteria of the admin's user list; nil means any.
public struct UserListFilter: Sendable, Equatable {
    /// Part of the name or email, case-insensitive.
    public var search: String?
    public var role: Role?
    public var active: Bool?
    /// Locked by repeated sign-in failures at `now`.
    public var locked: Bool?
    public var now: Date

    /// Creates a filter.
    public init(search: String? = nil, role: Role? = nil, active: Bool? = nil, locked: Bool? = nil, now: Date) {
        self.search = search
        self.role = role
        self.active = active
        self.locked = locked
        self.now = now
    }
}

/// The fields only doctors have.
public struct DoctorFields: Sendable, Equatable {
    public var specialty: String
    public var bio: String

    /// Creates the fields.
    public init(specialty: String, bio: String) {
        self.specialty = specialty
        self.bio = bio
    }
}

/// What an admin may change on an account (email and role stay: they identify the account in the audit trail).
public struct AccountEdit: Sendable, Equatable {
    public var fullName: String
    public var phone: String?
    /// Patients only.
    public var dateOfBirth: PostgresDate?
    /// Doctors only.
    public var doctor: DoctorFields?

    /// Creates an edit.
    public init(fullName: String, phone: String?, dateOfBirth: PostgresDate? = nil, doctor: DoctorFields? = nil) {
        self.fullName = fullName
        self.phone = phone
        self.dateOfBirth = dateOfBirth
        self.doctor = doctor
    }
}

/// The admin's side of accounts: listing with search and filters, editing, password resets.
/// Activation and unlocking reuse `UserStore` (`setActive` ends sessions in the same transaction).
public struct AdminUserStore: Sendable {
    public init() {}

    /// One page of accounts matching `filter`, by name then id.
    /// - Throws: `PostgresError` on database failure.
    public func list(_ filter: UserListFilter, offset: Int, limit: Int, on db: PostgresConnection) throws -> [User] {
        try db.query("""
            SELECT \(unsafeRaw: User.columns) FROM users u \(fragment: whereClause(filter))
            ORDER BY lower(u.full_name), u.id OFFSET \(offset) LIMIT \(limit)
            """).map(User.init(row:))
    }

    /// How many accounts match `filter` (for the pager).
    /// - Throws: `PostgresError` on database failure.
    public func count(_ filter: UserListFilter, on db: PostgresConnection) throws -> Int {
        try db.query("SELECT count(*)::int AS n FROM users u \(fragment: whereClause(filter))")[0].decode("n")
    }

    private func whereClause(_ filter: UserListFilter) -> SQL {
        let pattern = filter.search.map { "%" + Self.likeEscaped($0) + "%" }
        return """
            WHERE (\(pattern)::text IS NULL OR u.full_name ILIKE \(pattern) OR u.email::text ILIKE \(pattern))
              AND (\(filter.role?.rawValue)::text IS NULL OR u.role = \(filter.role?.rawValue))
              AND (\(filter.active)::boolean IS NULL OR u.active = \(filter.active))
              AND (\(filter.locked)::boolean IS NULL OR (coalesce(u.locked_until > \(filter.now), false) = \(filter.locked)))
            """
    }

    /// `text` with LIKE's wildcards taken literally (the default escape character is a backslash).
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    /// A doctor account's specialty and bio; nil for other accounts.
    /// - Throws: `PostgresError` on database failure.
    public func doctorFields(userID: Int64, on db: PostgresConnection) throws -> DoctorFields? {
        try db.query("SELECT specialty, bio FROM doctors WHERE user_id = \(userID)").first.map {
            DoctorFields(specialty: try $0.decode("specialty"), bio: try $0.decode("bio"))
        }
    }

    /// Saves an edit of account `userID` (doctor fields only when it is a doctor's); false when no such account.
    /// - Throws: `PostgresError.checkViolation` for values the schema refuses.
    public func update(userID: Int64, _ edit: AccountEdit, on db: PostgresConnection) throws -> Bool {
        let changed = try db.execute("""
            UPDATE users SET full_name = \(edit.fullName), phone = \(edit.phone),
                date_of_birth = CASE WHEN role = 'patient' THEN \(edit.dateOfBirth)::date ELSE date_of_birth END,
                updated_at = now()
            WHERE id = \(userID)
            """)
        if changed == 1, let doctor = edit.doctor {
            try db.execute("UPDATE doctors SET specialty = \(doctor.specialty), bio = \(doctor.bio) WHERE user_id = \(userID)")
        }
        return changed == 1
    }

    /// Replaces the password with a temporary one the user must change at next sign-in, ends the
    /// account's sessions and lifts any lock (the user is about to be told the new password).
    /// - Throws: `PostgresError` on database failure.
    public func resetPassword(userID: Int64, temporaryHash: String, on db: PostgresConnection) throws {
        try db.execute("""
            UPDATE users SET password_hash = \(temporaryHash), must_change_password = true,
                failed_logins = 0, locked_until = NULL, updated_at = now()
            WHERE id = \(userID)
            """)
        try db.execute("DELETE FROM sessions WHERE user_id = \(userID)")
    }
}
