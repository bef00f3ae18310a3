import CArgon2
import Foundation

/// Hashes and verifies passwords with argon2id (libargon2), storing PHC strings.
///
/// Every hash and verify holds one permit of a counting semaphore, so at most
/// `maxConcurrentHashes` argon2 computations (each allocating `memoryKiB`) run at
/// once, and at most `maxWaiting` more wait for one; beyond that a call throws
/// `PasswordHashingError.busy` at once. A login storm therefore costs a bounded
/// number of threads and memory, and the worker threads that serve pages stay free
/// (DESIGN.md §2, Threads). The computations run on low-priority threads of this
/// process, or in a `HashingProcess` helper when one is given (as `clinic serve` does).
/// Passwords are normalised to Unicode NFKC before hashing (NIST SP 800-63B §5.1.1.2),
/// so the same password typed on different keyboards verifies.
public final class PasswordHasher: @unchecked Sendable {
    /// Salt length in bytes, drawn from the system CSPRNG for each hash.
    public static let saltBytes = 16
    /// Raw hash length in bytes stored in the PHC string.
    public static let hashBytes = 32
    /// Longest password accepted, in UTF-8 bytes: 1024 scalars of up to 4 bytes each,
    /// matching `PasswordPolicy.maximumLength`, so the hasher bounds its own input.
    public static let maximumPasswordBytes = 4096

    /// The cost settings new hashes are made with.
    public let parameters: Argon2Parameters
    /// The most argon2 computations allowed to run at the same time.
    public let maxConcurrentHashes: Int
    /// The most callers allowed to wait for a slot; more are refused with `.busy`.
    public let maxWaiting: Int

    private let runner: any Argon2Runner
    private let permits: DispatchSemaphore
    private let lock = NSLock()
    private var dummyHash: String?
    private var inFlight = 0
    private var admitted = 0
    private var peakInFlight = 0
    /// Test hook run while a permit is held, so a test can observe concurrency without timing.
    var whileHoldingPermit: (@Sendable (_ inFlight: Int) -> Void)?

    /// Creates a hasher with the given costs and concurrency bound.
    ///
    /// `maxConcurrentHashes` defaults to one less than the active cores (at least 1), so a login storm
    /// always leaves a core for page views; `maxWaiting` defaults to the same. Values below 1 (0 for
    /// waiting) are raised. With `helper`, the computations run in that process; without, on
    /// `maxConcurrentHashes` threads of this one.
    public init(
        parameters: Argon2Parameters = .init(),
        maxConcurrentHashes: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1),
        maxWaiting: Int? = nil,
        helper: HashingProcess? = nil
    ) {
        self.parameters = parameters
        self.maxConcurrentHashes = max(1, maxConcurrentHashes)
        self.maxWaiting = max(0, maxWaiting ?? self.maxConcurrentHashes)
        self.runner = helper ?? HashingThreads(count: self.maxConcurrentHashes)
        self.permits = DispatchSemaphore(value: self.maxConcurrentHashes)
    }

    // MARK: - Hashing

    /// Hashes `password` into a PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    ///
    /// Waits for a permit if `maxConcurrentHashes` hashes are already running.
    /// - Throws: `PasswordHashingError` when the password is over the byte limit,
    ///   libargon2 refuses the costs, or the hasher is saturated (`.busy`).
    public func hash(_ password: String) throws -> String {
        guard var bytes = Self.normalisedBytes(password) else {
            throw PasswordHashingError.passwordTooLong(maximumBytes: Self.maximumPasswordBytes)
        }
        defer { Self.wipe(&bytes) }
        var salt = [UInt8](repeating: 0, count: Self.saltBytes)
        fillFromSystemRandom(&salt)
        let outcome = try withPermit(.hash(parameters: parameters, salt: salt, password: bytes))
        guard outcome.code == ARGON2_OK.rawValue else {
            throw PasswordHashingError.argon2(code: outcome.code, message: String(cString: argon2_error_message(outcome.code)))
        }
        return outcome.encoded
    }

    /// Whether `password` matches the stored PHC string `phc`.
    ///
    /// The comparison is libargon2's constant-time compare inside `argon2id_verify`.
    /// Returns false, without hashing, for a malformed string, another algorithm, or
    /// costs above `Argon2Parameters.acceptedMaximum`.
    /// - Throws: `PasswordHashingError.busy` when the hasher is saturated.
    public func verify(_ password: String, against phc: String) throws -> Bool {
        guard PHCString(phc) != nil, var bytes = Self.normalisedBytes(password) else { return false }
        defer { Self.wipe(&bytes) }
        return try withPermit(.verify(encoded: phc, password: bytes)).code == ARGON2_OK.rawValue
    }

    /// Whether `phc` should be replaced by a fresh hash at the next successful login:
    /// its costs or lengths differ from the current settings, or it cannot be parsed.
    public func needsRehash(_ phc: String) -> Bool {
        guard let parsed = PHCString(phc) else { return true }
        return parsed.parameters != parameters
            || parsed.saltLength != Self.saltBytes
            || parsed.hashLength != Self.hashBytes
    }

    /// Does the same work as `verify` against a real hash, and discards the result.
    ///
    /// Call it when the email is unknown so that the response takes as long as a
    /// wrong password for a real account and does not reveal which emails exist.
    /// The dummy hash is made once, on first use, with the current settings.
    /// - Throws: `PasswordHashingError.busy` when the hasher is saturated.
    public func verifyDummy(_ password: String) throws {
        _ = try verify(password, against: dummy())
    }

    // MARK: - Internals

    /// The dummy PHC string, hashed from random bytes the first time it is needed.
    private func dummy() -> String {
        lock.lock()
        if let existing = dummyHash { lock.unlock(); return existing }
        lock.unlock()
        var secret = [UInt8](repeating: 0, count: 24)
        fillFromSystemRandom(&secret)
        // If hashing fails the costs are unusable for real users too; a well-formed
        // string with the same costs still makes verify do identical work.
        let made = (try? hash(secret.map { String(format: "%02x", $0) }.joined()))
            ?? "$argon2id$v=19$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.parallelism)"
            + "$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        lock.lock()
        defer { lock.unlock() }
        if dummyHash == nil { dummyHash = made }
        return dummyHash!
    }

    /// Runs `job` while holding one of the `maxConcurrentHashes` permits, waiting for one only if fewer than
    /// `maxWaiting` callers already wait. The caller blocks until `job` is done.
    /// - Throws: `PasswordHashingError.busy` when every slot and waiting place is taken.
    private func withPermit(_ job: Argon2Job) throws -> Argon2Job.Outcome {
        lock.lock()
        guard admitted < maxConcurrentHashes + maxWaiting else {
            lock.unlock()
            throw PasswordHashingError.busy
        }
        admitted += 1
        lock.unlock()
        defer {
            lock.lock()
            admitted -= 1
            lock.unlock()
        }
        permits.wait()
        defer { permits.signal() }
        lock.lock()
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
        let now = inFlight
        let hook = whileHoldingPermit
        lock.unlock()
        hook?(now)
        defer {
            lock.lock()
            inFlight -= 1
            lock.unlock()
        }
        return runner.run(job)
    }

    deinit { runner.stop() }

    /// Whether a hash or verify started now would be refused with `.busy`: lets a caller refuse a
    /// sign-in before doing any other work for it.
    public var isSaturated: Bool {
        lock.lock()
        defer { lock.unlock() }
        return admitted >= maxConcurrentHashes + maxWaiting
    }

    /// Callers running or waiting right now, for tests.
    var admittedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return admitted
    }

    /// The highest number of hashes seen in flight at once, for tests.
    var observedPeakConcurrency: Int {
        lock.lock()
        defer { lock.unlock() }
        return peakInFlight
    }

    /// NFKC-normalised UTF-8 bytes of `password`, or nil if it is over the byte limit
    /// (checked before normalising so an oversized input costs nothing).
    private static func normalisedBytes(_ password: String) -> [UInt8]? {
        // Checked before normalising (no NFKC work for a huge input) and after: NFKC can expand a character many
        // times over (U+FDFA is 3 bytes and becomes 33), and the limit is on what gets hashed.
        guard password.utf8.count <= maximumPasswordBytes else { return nil }
        let normalised = Array(password.precomposedStringWithCompatibilityMapping.utf8)
        return normalised.count <= maximumPasswordBytes ? normalised : nil
    }

    /// Overwrites password bytes; best effort, since Swift strings may leave copies elsewhere.
    ///
    /// It writes zeros into the storage the array shares with its copies, on purpose: writing through the array
    /// would copy it first (copy on write) and leave the shared bytes as they were. Call it only once every holder
    /// is done with the bytes.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            UnsafeMutablePointer(mutating: base).update(repeating: 0, count: buffer.count)
        }
    }
}
