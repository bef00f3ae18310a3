import CLinux
import Foundation
import Testing
@testable import Passwords

/// Small costs keep the suite fast; one test uses the real defaults.
private let fast = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

private func makeHasher(_ parameters: Argon2Parameters = fast, max: Int = 2, waiting: Int = 16) -> PasswordHasher {
    PasswordHasher(parameters: parameters, maxConcurrentHashes: max, maxWaiting: waiting)
}

@Test func defaultSettingsStoreOWASPMinimumArgon2idPHCString() throws {
    let hasher = PasswordHasher()
    #expect(hasher.parameters == Argon2Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1))
    let phc = try hasher.hash("correct horse battery staple")
    #expect(phc.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
    #expect(try hasher.verify("correct horse battery staple", against: phc))
    #expect(try !hasher.verify("correct horse battery stapler", against: phc))
    #expect(!hasher.needsRehash(phc))
}

@Test func hashHasSixteenByteSaltAndThirtyTwoByteHashInUnpaddedBase64() throws {
    let phc = try makeHasher().hash("a long enough password")
    let fields = phc.split(separator: "$")
    #expect(fields.count == 5)
    #expect(fields[3].count == 22)   // 16 bytes
    #expect(fields[4].count == 43)   // 32 bytes
    #expect(!fields[3].contains("=") && !fields[4].contains("="))
}

@Test func eachHashUsesAFreshSalt() throws {
    let hasher = makeHasher()
    let first = try hasher.hash("same password twice")
    let second = try hasher.hash("same password twice")
    #expect(first != second)
    #expect(try hasher.verify("same password twice", against: first))
    #expect(try hasher.verify("same password twice", against: second))
}

@Test func wrongPasswordDoesNotVerify() throws {
    let hasher = makeHasher()
    let phc = try hasher.hash("Tr0ub4dor&3 is long")
    #expect(try !hasher.verify("tr0ub4dor&3 is long", against: phc))
    #expect(try !hasher.verify("", against: phc))
}

@Test func canonicallyEquivalentSpellingsVerify() throws {
    let hasher = makeHasher()
    let composed = "caf\u{E9} au lait please"
    let decomposed = "cafe\u{301} au lait please"
    let phc = try hasher.hash(composed)
    #expect(try hasher.verify(decomposed, against: phc))
}

@Test func needsRehashWhenAnyCostChanges() throws {
    let phc = try makeHasher().hash("a password to rehash")
    #expect(!makeHasher().needsRehash(phc))
    #expect(makeHasher(Argon2Parameters(memoryKiB: 2048, iterations: 1, parallelism: 1)).needsRehash(phc))
    #expect(makeHasher(Argon2Parameters(memoryKiB: 1024, iterations: 2, parallelism: 1)).needsRehash(phc))
    #expect(makeHasher(Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 2)).needsRehash(phc))
    #expect(makeHasher().needsRehash("not a hash"))
}

@Test func hashMadeWithOldSettingsStillVerifiesUnderNewSettings() throws {
    let old = try makeHasher().hash("settings were raised")
    let upgraded = makeHasher(Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1))
    #expect(try upgraded.verify("settings were raised", against: old))
    #expect(upgraded.needsRehash(old))
}

@Test func tamperedHashDoesNotVerify() throws {
    let hasher = makeHasher()
    let phc = try hasher.hash("tamper with me please")
    var fields = phc.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
    var hash = Array(fields[5])
    hash[0] = hash[0] == "A" ? "B" : "A"
    fields[5] = String(hash)
    #expect(try !hasher.verify("tamper with me please", against: fields.joined(separator: "$")))

    var salted = phc.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
    var salt = Array(salted[4])
    salt[3] = salt[3] == "A" ? "B" : "A"
    salted[4] = String(salt)
    #expect(try !hasher.verify("tamper with me please", against: salted.joined(separator: "$")))

    let weakened = phc.replacingOccurrences(of: "t=1", with: "t=2")
    #expect(try !hasher.verify("tamper with me please", against: weakened))
}

@Test(arguments: [
    "",
    "$argon2id$",
    "plaintext-password",
    "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$v=19$m=01024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$v=19$m=1024,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA==$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
    "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI$",
    "$argon2id$v=19$t=1,m=1024,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
])
func malformedHashNeverVerifiesAndNeedsRehash(_ phc: String) throws {
    let hasher = makeHasher()
    #expect(try !hasher.verify("anything at all", against: phc))
    #expect(hasher.needsRehash(phc))
}

@Test func wellFormedPHCStringParsesItsCosts() throws {
    let parsed = try #require(PHCString(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI"))
    #expect(parsed.parameters == Argon2Parameters())
    #expect(parsed.saltLength == 16)
    #expect(parsed.hashLength == 32)
}

@Test func passwordOverByteLimitIsRefusedBeforeHashing() {
    let hasher = makeHasher()
    let huge = String(repeating: "x", count: PasswordHasher.maximumPasswordBytes + 1)
    #expect(throws: PasswordHashingError.passwordTooLong(maximumBytes: PasswordHasher.maximumPasswordBytes)) {
        try hasher.hash(huge)
    }
    #expect(hasher.observedPeakConcurrency == 0)
}

@Test func costsLibargon2RejectsThrowArgon2Error() {
    // libargon2 needs at least 8 KiB per lane.
    let hasher = makeHasher(Argon2Parameters(memoryKiB: 4, iterations: 1, parallelism: 1))
    #expect(throws: PasswordHashingError.self) { try hasher.hash("some password here") }
}

@Test func verifyDummyDoesOneArgon2RunPerCallAfterTheFirst() throws {
    let hasher = makeHasher()
    let runs = Counter()
    hasher.whileHoldingPermit = { _ in runs.increment() }
    try hasher.verifyDummy("unknown user's guess")
    // First call: hash the dummy once, then verify against it.
    #expect(runs.value == 2)
    try hasher.verifyDummy("another guess")
    #expect(runs.value == 3)
}

@Test func concurrencyLimitOfOneNeverLetsTwoHashesRunAtOnce() {
    let hasher = makeHasher(max: 1)
    let overLimit = Counter()
    hasher.whileHoldingPermit = { inFlight in
        if inFlight > 1 { overLimit.increment() }
        // Hold the permit a moment so that, without the semaphore, the threads would overlap.
        usleep(2_000)
    }
    // GCD threads rather than tasks: waiting on the semaphore must not block Swift Testing's cooperative pool.
    let done = DispatchGroup()
    for index in 0..<6 {
        DispatchQueue.global().async(group: done) { _ = try? hasher.hash("password number \(index)") }
    }
    done.wait()
    #expect(overLimit.value == 0)
    #expect(hasher.observedPeakConcurrency == 1)
}

@Test func concurrencyLimitOfTwoLetsTwoHashesRunTogether() {
    // Two threads meet inside the permit; if the limit were 1 the rendezvous would time out.
    let hasher = makeHasher(max: 2)
    let arrived = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    hasher.whileHoldingPermit = { _ in
        arrived.signal()
        _ = release.wait(timeout: .now() + 5)
    }
    let done = DispatchGroup()
    for index in 0..<2 {
        DispatchQueue.global().async(group: done) { _ = try? hasher.hash("parallel password \(index)") }
    }
    let bothInside = arrived.wait(timeout: .now() + 5) == .success && arrived.wait(timeout: .now() + 5) == .success
    release.signal()
    release.signal()
    done.wait()
    #expect(bothInside)
    #expect(hasher.observedPeakConcurrency == 2)
}

@Test func aSaturatedHasherRefusesAtOnceInsteadOfParkingAnotherThread() throws {
    // One slot, one waiting place: the first caller holds the slot, the second waits, the third is refused.
    // Dedicated threads, not GCD: other tests may block the global queue's few threads.
    let hasher = makeHasher(max: 1, waiting: 1)
    let inside = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    hasher.whileHoldingPermit = { _ in
        inside.signal()
        _ = release.wait(timeout: .now() + 20)
    }
    Thread { _ = try? hasher.hash("first holds the slot"); finished.signal() }.start()
    #expect(inside.wait(timeout: .now() + 20) == .success)
    Thread { _ = try? hasher.hash("second waits for it"); finished.signal() }.start()
    let deadline = Date().addingTimeInterval(20)
    while hasher.admittedCount < 2 && Date() < deadline { usleep(1_000) }
    try #require(hasher.admittedCount == 2, "the second caller is admitted and waits")
    #expect(throws: PasswordHashingError.busy) {
        _ = try hasher.verify("third is refused", against: "$argon2id$v=19$m=1024,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    }
    release.signal()
    #expect(inside.wait(timeout: .now() + 20) == .success, "the waiting caller gets the slot once it frees")
    release.signal()
    #expect(finished.wait(timeout: .now() + 20) == .success)
    #expect(finished.wait(timeout: .now() + 20) == .success)
    hasher.whileHoldingPermit = nil
    #expect(hasher.admittedCount == 0)
    #expect(try hasher.verify("after the storm", against: try hasher.hash("after the storm")), "admits again once the storm passes")
}

/// A thread-safe counter for hooks called from several threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

#if os(Linux)
@Test func hashingRunsAtLowerPriorityThanItsCaller() {
    let threads = HashingThreads(count: 1)
    defer { threads.stop() }
    let which = __priority_which_t(PRIO_PROCESS.rawValue)
    let niceness = threads.run { getpriority(which, 0) }
    #expect(niceness == HashingThreads.niceness, "argon2 threads run at nice \(HashingThreads.niceness), got \(niceness)")
    #expect(getpriority(which, 0) != HashingThreads.niceness, "the caller's own priority is untouched")
    // Where sched_setattr is allowed, the thread asked for the short slice; kernels before 6.12 report none.
    if threads.slicesRequested {
        let slice = threads.run { clinic_fair_slice() }
        #expect(slice == 0 || slice == Int64(HashingThreads.sliceNanoseconds), "slice \(slice) ns")
        #expect(clinic_fair_slice() != Int64(HashingThreads.sliceNanoseconds), "the caller keeps its own slice")
    }
}

@Test func hashingThreadsArePinnedToTheLastCPUsAndLeaveTheFirstFree() {
    // The CPUs this process may use (a container may allow fewer than the machine has).
    let cores = Int(clinic_allowed_cpu_count())
    let threads = HashingThreads(count: 1)
    defer { threads.stop() }
    if cores >= 2 {
        let pinned = threads.pinnedCPUs[0]
        #expect(pinned != nil && pinned! > 0, "pinned to \(String(describing: pinned)), not the first CPU")
        for _ in 0..<5 { #expect(threads.run { clinic_current_cpu() } == pinned!) }
        // On a thread of its own: were the check wrong, it must not pin the test's thread.
        let firstRefused = DispatchSemaphore(value: 0)
        let refusals = Counter()
        Thread {
            if clinic_pin_to_cpu_from_end(Int32(cores - 1)) == -1 { refusals.increment() }
            firstRefused.signal()
        }.start()
        firstRefused.wait()
        #expect(refusals.value == 1, "never the first of the allowed CPUs")
    } else {
        #expect(threads.pinnedCPUs[0] == nil, "one CPU: nothing to pin")
    }
    // As many threads as CPUs: the last thread stays unpinned, so the first CPU is never taken.
    let all = HashingThreads(count: max(1, cores))
    defer { all.stop() }
    #expect(all.pinnedCPUs.last! == nil)
}
#endif
