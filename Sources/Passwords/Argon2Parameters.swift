/// The argon2id cost settings: memory in KiB, passes over memory and lanes.
///
/// The defaults are OWASP's minimum for argon2id (m=19456 KiB, t=2, p=1). They are
/// a setting rather than a constant so an operator can raise them; hashes made with
/// older settings keep verifying and `PasswordHasher.needsRehash` flags them.
public struct Argon2Parameters: Sendable, Equatable {
    /// Memory cost in KiB (`m` in the PHC string); libargon2 needs at least 8 × parallelism.
    public var memoryKiB: UInt32
    /// Number of passes over the memory (`t` in the PHC string); at least 1.
    public var iterations: UInt32
    /// Number of lanes (`p` in the PHC string); at least 1.
    public var parallelism: UInt32

    /// Creates cost settings; the defaults are OWASP's argon2id minimum.
    public init(memoryKiB: UInt32 = 19456, iterations: UInt32 = 2, parallelism: UInt32 = 1) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    /// Upper bounds accepted when verifying a stored hash.
    ///
    /// A stored PHC string names its own cost; a corrupted or planted row with
    /// `m=4194304` must not let one login allocate 4 GiB, so anything above these is
    /// treated as malformed.
    static let acceptedMaximum = Argon2Parameters(memoryKiB: 1 << 20, iterations: 64, parallelism: 64)

    /// Whether libargon2 would accept these costs and they stay inside `acceptedMaximum`.
    var isAcceptable: Bool {
        let max = Self.acceptedMaximum
        return iterations >= 1 && iterations <= max.iterations
            && parallelism >= 1 && parallelism <= max.parallelism
            && memoryKiB >= 8 * parallelism && memoryKiB <= max.memoryKiB
    }
}
