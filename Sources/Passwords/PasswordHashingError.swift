/// Why hashing a password failed.
public enum PasswordHashingError: Error, Sendable, Equatable {
    /// The password exceeds `PasswordHasher.maximumPasswordBytes`; refused before any hashing work.
    case passwordTooLong(maximumBytes: Int)
    /// libargon2 returned this error code (for example costs it does not accept).
    case argon2(code: Int32, message: String)
    /// Every hashing slot and every waiting place is taken (a login storm): refused at once rather than
    /// parking another thread, so the threads that serve pages stay free. Callers answer "busy, retry".
    case busy
}
