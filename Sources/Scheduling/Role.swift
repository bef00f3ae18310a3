/// Who is acting, as stored in `users.role`.
public enum Role: String, Sendable, CaseIterable {
    /// Books and cancels their own appointments.
    case patient
    /// Manages their availability and moves their appointments through the statuses.
    case doctor
    /// Oversees everything; may take every move a doctor may.
    case admin
}
