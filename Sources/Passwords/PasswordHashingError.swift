/// Why hashing a password failed.
public enum PasswordHashingError: Error, Sendable, Equatable {
    /// The password exceeds `PasswordHasher.maximumPasswordBytes`; refused before any hashing work.
    case passwordTooLong(maximumBytes: Int)
    /// libargon2 returned this error code (for example costs it does not accept).
    case argon2(code: Int32, message: String)
}
