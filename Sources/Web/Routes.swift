import Scheduling

/// Every path of the portal in one place; handlers and views build links from here, never from literals.
public enum Routes {
    public static let home = "/"
    public static let login = "/login"
    public static let logout = "/logout"
    public static let register = "/register"
    public static let healthz = "/healthz"
    public static let readyz = "/readyz"
    public static let doctors = "/doctors"
    public static let patientHome = "/patient"
    public static let doctorHome = "/doctor"
    public static let adminHome = "/admin"
    public static let adminAudit = "/admin/audit"
    public static let adminAuditCSV = "/admin/audit.csv"
    public static let adminUsers = "/admin/users"
    public static let staticPrefix = "/static/"
    public static let stylesheet = "/static/style.css"
    public static let favicon = "/favicon.ico"

    /// The landing page of a role after sign-in.
    public static func home(for role: Role) -> String {
        switch role {
        case .patient: patientHome
        case .doctor: doctorHome
        case .admin: adminHome
        }
    }

    /// The profile page of a role (every role has one).
    public static func profile(for role: Role) -> String { "/\(role.rawValue)/profile" }

    /// Where the password form of a role posts.
    public static func password(for role: Role) -> String { "/\(role.rawValue)/password" }

    /// A doctor's public page of free slots.
    public static func doctor(_ id: Int64) -> String { "/doctors/\(id)" }

    /// The login page that returns to `next` afterwards.
    public static func login(next: String) -> String { "/login?next=" + FormData.percentEncode(next) }
}
