/// Paths of admin oversight (issue 7): dashboard, users, all appointments, audit log.
extension Routes {
    public static let adminNewUser = "/admin/users/new"
    public static let adminAppointments = "/admin/appointments"
    public static let adminAppointmentsCSV = "/admin/appointments.csv"

    /// One account's admin page (edit form and actions).
    public static func adminUser(_ id: Int64) -> String { "\(adminUsers)/\(id)" }

    /// Where an account action posts: `deactivate`, `reactivate`, `reset-password` or `unlock`.
    public static func adminUserAction(_ id: Int64, _ action: AdminUserAction) -> String { adminUser(id) + "/" + action.rawValue }

    /// One appointment's admin page.
    public static func adminAppointment(_ id: Int64) -> String { "\(adminAppointments)/\(id)" }

    /// Where the admin's status form of an appointment posts.
    public static func adminAppointmentStatus(_ id: Int64) -> String { adminAppointment(id) + "/status" }

    /// `path` with query parameters, empty values left out, values percent-encoded.
    public static func withQuery(_ path: String, _ parameters: [(String, String)]) -> String {
        let parts = parameters.filter { !$0.1.isEmpty }.map { "\($0.0)=\(FormData.percentEncode($0.1))" }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }
}

/// The state changes an admin can make on an account; raw values are the last path segment.
public enum AdminUserAction: String, CaseIterable, Sendable {
    case deactivate
    case reactivate
    case resetPassword = "reset-password"
    case unlock
}
