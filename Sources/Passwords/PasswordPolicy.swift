import Foundation

/// The rules a new password must meet (NIST SP 800-63B §5.1.1.2: length, a blocklist, no composition rules).
///
/// Length is counted in Unicode scalars (code points), as NIST SP 800-63B §5.1.1.2
/// asks, so "é" typed as one or two code points may count differently; the password
/// is never truncated.
public struct PasswordPolicy: Sendable {
    /// Fewest Unicode scalars accepted.
    public var minimumLength = 12
    /// Most Unicode scalars accepted.
    public var maximumLength = 1024

    /// Creates the portal's policy: 12 to 1024 scalars.
    public init() {}

    /// Checks `password` and its confirmation, returning the first violation or nil.
    ///
    /// The confirmation is compared last, so the user first hears what is wrong with the password itself.
    public func validate(_ password: String, confirmation: String, email: String, fullName: String) -> PasswordPolicyViolation? {
        if let violation = validate(password, email: email, fullName: fullName) { return violation }
        return password == confirmation ? nil : .mismatch
    }

    /// Checks `password` for `email` and `fullName`, returning the first violation or nil.
    ///
    /// Order: too long (before anything else touches the input), too short, personal
    /// information, then weakness.
    public func validate(_ password: String, email: String, fullName: String) -> PasswordPolicyViolation? {
        // A scalar is at most 4 UTF-8 bytes: over 4 × maximum bytes is too long without counting.
        let byteCount = password.utf8.count
        if byteCount > 4 * maximumLength { return .tooLong(maximum: maximumLength) }
        let length = password.unicodeScalars.count
        if length > maximumLength { return .tooLong(maximum: maximumLength) }
        // What is hashed is the NFKC form, which a few characters expand many times over; the hasher refuses more
        // than its byte limit, so such a password is too long here too.
        if password.precomposedStringWithCompatibilityMapping.utf8.count > PasswordHasher.maximumPasswordBytes {
            return .tooLong(maximum: maximumLength)
        }
        if length < minimumLength { return .tooShort(minimum: minimumLength) }

        let lowered = password.lowercased()
        if Self.personalTokens(email: email, fullName: fullName).contains(where: { lowered.contains($0) }) {
            return .containsPersonalInfo
        }
        return WeakPasswordRules.isWeak(lowered) ? .tooWeak : nil
    }

    /// Lowercased pieces of the email's local part and the name, each at least 3 characters.
    ///
    /// The whole local part and its pieces split at `.`, `+`, `-`, `_` are checked, so
    /// "anna.berg@…" refuses both "anna" and "berg"; shorter pieces ("li") would refuse
    /// too many good passwords.
    static func personalTokens(email: String, fullName: String) -> [String] {
        var tokens: [String] = []
        let trimmedEmail = email.trimmingWhitespace.lowercased()
        if let at = trimmedEmail.lastIndex(of: "@") {
            let local = String(trimmedEmail[..<at])
            tokens.append(local)
            tokens += local.split(whereSeparator: { ".+-_".contains($0) }).map(String.init)
        }
        tokens += fullName.lowercased()
            .split(whereSeparator: { $0.isWhitespace || $0 == "-" || $0 == "'" || $0 == "." || $0 == "," })
            .map(String.init)
        return Array(Set(tokens.filter { $0.count >= 3 }))
    }
}
