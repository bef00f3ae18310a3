/// Why a proposed password was refused; Web maps each case to a message beside the field.
public enum PasswordPolicyViolation: Error, Sendable, Equatable {
    /// Fewer than `minimum` Unicode scalars.
    case tooShort(minimum: Int)
    /// More than `maximum` Unicode scalars; refused before any other work, never truncated.
    case tooLong(maximum: Int)
    /// Contains the email's local part or a part of the person's name.
    case containsPersonalInfo
    /// A repeated character, a keyboard or alphabet run, a repeated short pattern or a very common password.
    case tooWeak
    /// The confirmation field differs from the password.
    case mismatch
}
