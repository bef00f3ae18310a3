import Foundation
import Postgres
import Scheduling

/// A portal account: a patient, a doctor or an admin.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var role: Role
    public var email: String
    public var passwordHash: String
    public var fullName: String
    public var phone: String?
    public var dateOfBirth: PostgresDate?
    public var active: Bool
    public var mustChangePassword: Bool
    public var failedLogins: Int
    public var lockedUntil: Date?
    public var createdAt: Date

    static let columns =
        "u.id, u.role, u.email::text AS email, u.password_hash, u.full_name, u.phone, u.date_of_birth, u.active, u.must_change_password, u.failed_logins, u.locked_until, u.created_at"

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        guard let role = Role(rawValue: try row.decode("role", as: String.self)) else {
            throw PostgresError.decoding("unknown role")
        }
        self.role = role
        email = try row.decode("email")
        passwordHash = try row.decode("password_hash")
        fullName = try row.decode("full_name")
        phone = try row.decode("phone")
        dateOfBirth = try row.decode("date_of_birth")
        active = try row.decode("active")
        mustChangePassword = try row.decode("must_change_password")
        failedLogins = try row.decode("failed_logins")
        lockedUntil = try row.decode("locked_until")
        createdAt = try row.decode("created_at")
    }

    /// Whether sign-in is refused right now because of repeated failures.
    public func isLocked(at now: Date) -> Bool {
        guard let lockedUntil else { return false }
        return lockedUntil > now
    }
}

/// The fields of a new account; the password is already hashed.
public struct NewUser: Sendable {
    public var role: Role
    public var email: String
    public var passwordHash: String
    public var fullName: String
    public var phone: String?
    public var dateOfBirth: PostgresDate?
    public var mustChangePassword: Bool

    public init(role: Role, email: String, passwordHash: String, fullName: String, phone: String? = nil,
                dateOfBirth: PostgresDate? = nil, mustChangePassword: Bool = false) {
        self.role = role
        self.email = email
        self.passwordHash = passwordHash
        self.fullName = fullName
        self.phone = phone
        self.dateOfBirth = dateOfBirth
        self.mustChangePassword = mustChangePassword
    }
}

/// Who did something, for the audit trail.
public struct Actor: Sendable, Equatable {
    public var userID: Int64?
    public var role: String
    public var ip: String

    public init(userID: Int64?, role: String, ip: String) {
        self.userID = userID
        self.role = role
        self.ip = ip
    }

    /// Someone not signed in, known only by address.
    public static func anonymous(ip: String) -> Actor { Actor(userID: nil, role: "anonymous", ip: ip) }
    /// The command line (create-admin, seed-demo).
    public static let system = Actor(userID: nil, role: "system", ip: "")
}
