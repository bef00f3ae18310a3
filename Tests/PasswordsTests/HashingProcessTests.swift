import Foundation
import Testing
@testable import Passwords
#if canImport(Glibc)
import Glibc
#endif

/// Small costs keep the suite fast.
private let fast = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

/// Collects `HashingProcess` problem reports from any thread.
private final class Problems: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [String] = []

    func add(_ report: String) {
        lock.lock()
        reports.append(report)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return reports
    }
}

/// A helper served by `HashingHelper.serve` on a thread of this process, over a real socket pair.
/// `dies` makes the helper close its end at once, as a crashed process would.
private func threadHelper(dies: Bool = false) throws -> (socket: Int32, pid: pid_t?) {
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else { throw POSIXError(.EMFILE) }
    let helperEnd = ends[1]
    Thread {
        if !dies { HashingHelper.serve(input: helperEnd, output: helperEnd, threads: 2) }
        close(helperEnd)
    }.start()
    return (ends[0], nil)
}

/// A helper that reads requests and never answers (hung, or stopped with SIGSTOP).
private func silentHelper() throws -> (socket: Int32, pid: pid_t?) {
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else { throw POSIXError(.EMFILE) }
    let helperEnd = ends[1]
    Thread {
        while HelperWire.readFrame(helperEnd) != nil {}
        close(helperEnd)
    }.start()
    return (ends[0], nil)
}

@Test func theHelperHashesAndVerifiesAsThisProcessDoes() throws {
    let problems = Problems()
    let helper = HashingProcess(threads: 2, onProblem: problems.add) { try threadHelper() }
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 2, helper: helper)
    let phc = try hasher.hash("sent over the helper socket")
    #expect(phc.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
    #expect(try hasher.verify("sent over the helper socket", against: phc))
    #expect(try !hasher.verify("sent over the helper sockets", against: phc))
    // The same string verifies without the helper: it is an ordinary PHC string.
    #expect(try PasswordHasher(parameters: fast).verify("sent over the helper socket", against: phc))
    #expect(helper.isHelperRunning)
    #expect(problems.all.isEmpty)
}

@Test func concurrentCallersEachGetTheirOwnAnswer() throws {
    let helper = HashingProcess(threads: 2, onProblem: { _ in }) { try threadHelper() }
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 2, maxWaiting: 32, helper: helper)
    let hashes = try (0..<4).map { try hasher.hash("password number \($0) of four") }
    let wrong = Counter()
    let done = DispatchGroup()
    for round in 0..<24 {
        DispatchQueue.global().async(group: done) {
            let index = round % 4
            // Every other caller sends the wrong password: replies must not be handed to the wrong caller.
            let expected = round % 8 < 4
            let password = expected ? "password number \(index) of four" : "password number \(index) of five"
            if (try? hasher.verify(password, against: hashes[index])) != expected { wrong.increment() }
        }
    }
    done.wait()
    #expect(wrong.value == 0)
    #expect(helper.isHelperRunning)
}

@Test func aDeadHelperIsReportedHashingGoesOnHereAndItIsStartedAgain() throws {
    let problems = Problems()
    let starts = Counter()
    let helper = HashingProcess(threads: 1, onProblem: problems.add) {
        starts.increment()
        return try threadHelper(dies: starts.value == 1)
    }
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 1, helper: helper)
    // The first helper dies: the answer comes from this process, and the problem is reported.
    let phc = try hasher.hash("answered all the same")
    #expect(try hasher.verify("answered all the same", against: phc))
    let deadline = Date().addingTimeInterval(10)
    while problems.all.isEmpty && Date() < deadline { usleep(1_000) }
    // Depending on timing the write fails or the reader sees the end first; either is reported.
    #expect(problems.all.contains { $0.contains("hashing helper") && $0.contains("hashing in this process") })
    // After the restart interval the next call starts a new helper, which answers.
    Thread.sleep(forTimeInterval: 1.1)
    #expect(try hasher.verify("answered all the same", against: phc))
    #expect(starts.value == 2)
    #expect(helper.isHelperRunning)
}

@Test func aHelperThatDoesNotAnswerIsGivenUpOnAndTheAnswerComesFromHere() throws {
    let problems = Problems()
    let helper = HashingProcess(threads: 1, replyTimeout: .milliseconds(300), onProblem: problems.add) { try silentHelper() }
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 1, helper: helper)
    let started = Date()
    let phc = try hasher.hash("nobody answers")
    #expect(try hasher.verify("nobody answers", against: phc))
    #expect(Date().timeIntervalSince(started) < 10)
    #expect(problems.all.contains { $0.contains("did not answer in time") })
}

@Test func stoppingWhileACallWaitsForTheHelperAnswersItHereAtOnce() throws {
    let helper = HashingProcess(threads: 1, onProblem: { _ in }) { try silentHelper() }
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 1, helper: helper)
    let phc = try PasswordHasher(parameters: fast).hash("waiting when it stops")
    let answered = DispatchSemaphore(value: 0)
    let result = Counter()
    Thread {
        if (try? hasher.verify("waiting when it stops", against: phc)) == true { result.increment() }
        answered.signal()
    }.start()
    // Let the call reach the silent helper, then stop: the call must not sit out the 30-second reply timeout.
    usleep(200_000)
    helper.stop()
    #expect(answered.wait(timeout: .now() + 10) == .success)
    #expect(result.value == 1, "answered, and correctly")
}

@Test func aPasswordWhoseNormalFormIsOverTheLimitIsRefusedWithoutTroublingTheHelper() throws {
    let problems = Problems()
    let helper = HashingProcess(threads: 1, onProblem: problems.add) { try threadHelper() }
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 1, helper: helper)
    // U+FDFA is 3 UTF-8 bytes and 33 in NFKC: 600 bytes typed, 6,600 to hash.
    let expanding = String(repeating: "\u{FDFA}", count: 200) + "x"
    #expect(expanding.utf8.count <= PasswordHasher.maximumPasswordBytes)
    #expect(throws: PasswordHashingError.passwordTooLong(maximumBytes: PasswordHasher.maximumPasswordBytes)) {
        try hasher.hash(expanding)
    }
    let phc = try hasher.hash("an ordinary password")
    #expect(try !hasher.verify(expanding, against: phc))
    #expect(helper.isHelperRunning && problems.all.isEmpty, "no frame over the limit ever reached the helper")
    #expect(PasswordPolicy().validate(expanding, email: "a@b.test", fullName: "A B") == .tooLong(maximum: 1024))
}

@Test func aHelperThatCannotStartLeavesHashingInThisProcess() throws {
    let problems = Problems()
    let helper = HashingProcess(executable: "/nonexistent/clinic", arguments: ["hash-helper"], threads: 1,
                                onProblem: problems.add)
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 1, helper: helper)
    #expect(try hasher.verify("still signs in", against: try hasher.hash("still signs in")))
    #expect(!helper.isHelperRunning)
    #expect(problems.all.contains { $0.contains("could not start the hashing helper") })
}

@Test func wireFramesRoundTripAndMalformedOnesAreRefused() throws {
    let jobs: [Argon2Job] = [
        .hash(parameters: fast, salt: Array(0..<16), password: Array("pässword".utf8)),
        .verify(encoded: "$argon2id$v=19$m=1024,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                password: []),
    ]
    for job in jobs {
        let frame = HelperWire.request(id: 7, job: job)
        let body = Array(frame.dropFirst(4))
        #expect(Int(frame[0]) | Int(frame[1]) << 8 | Int(frame[2]) << 16 | Int(frame[3]) << 24 == body.count)
        let parsed = try #require(HelperWire.parseRequest(body))
        #expect(parsed.id == 7 && parsed.job == job)
        #expect(HelperWire.parseRequest(Array(body.dropLast())) == nil, "a truncated body is refused")
        #expect(HelperWire.parseRequest(body + [0]) == nil, "trailing bytes are refused")
    }
    var unknownKind = Array(HelperWire.request(id: 1, job: jobs[1]).dropFirst(4))
    unknownKind[4] = 9
    #expect(HelperWire.parseRequest(unknownKind) == nil)

    let reply = HelperWire.reply(id: 3, outcome: .init(code: -35, encoded: ""))
    let parsedReply = try #require(HelperWire.parseReply(Array(reply.dropFirst(4))))
    #expect(parsedReply.id == 3 && parsedReply.outcome == .init(code: -35))

    // A frame announcing more than the limit is refused before anything is allocated for it.
    var ends: [Int32] = [-1, -1]
    try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
    defer { close(ends[0]); close(ends[1]) }
    let size = UInt32(HelperWire.maximumBody + 1)
    #expect(HelperWire.writeAll(ends[1], (0..<4).map { UInt8(truncatingIfNeeded: size >> UInt32(8 * $0)) }))
    #expect(HelperWire.readFrame(ends[0]) == nil)
}

@Test func theHelperRefusesWhatTheServerWouldNeverSend() {
    let salt = [UInt8](repeating: 1, count: PasswordHasher.saltBytes)
    #expect(HashingHelper.isAcceptable(.hash(parameters: fast, salt: salt, password: [1, 2, 3])))
    #expect(!HashingHelper.isAcceptable(.hash(parameters: Argon2Parameters(memoryKiB: 1 << 22), salt: salt, password: [])),
            "4 GiB of memory is over the accepted maximum")
    #expect(!HashingHelper.isAcceptable(.hash(parameters: fast, salt: salt,
                                              password: [UInt8](repeating: 65, count: PasswordHasher.maximumPasswordBytes + 1))))
    #expect(!HashingHelper.isAcceptable(.verify(encoded: "$argon2id$v=19$m=4194304,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                                password: [])))
}

#if os(Linux)
/// The `clinic` executable built next to this test binary (`swift build --build-tests` builds both).
private func clinicExecutable() throws -> String {
    let tests = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = tests.deletingLastPathComponent()
    // Swift Testing may run from inside the .xctest bundle; the products sit next to it.
    while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("clinic").path),
          directory.pathComponents.count > 2 {
        directory = directory.deletingLastPathComponent()
    }
    let path = directory.appendingPathComponent("clinic").path
    try #require(FileManager.default.isExecutableFile(atPath: path), "build the clinic product first (\(path))")
    return path
}

/// The niceness of every thread of `pid` (field 19 of /proc/PID/task/TID/stat).
private func threadNiceness(of pid: pid_t) -> [Int] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.compactMap { task in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }
}

@Test func theRealHelperRunsInItsOwnLowPrioritySessionAndEndsWithItsSocket() throws {
    let problems = Problems()
    let helper = HashingProcess(executable: try clinicExecutable(),
                                arguments: ["hash-helper", "--threads", "1", "--parent", "\(getpid())"],
                                threads: 1, onProblem: problems.add)
    let hasher = PasswordHasher(parameters: fast, maxConcurrentHashes: 1, helper: helper)
    let phc = try hasher.hash("hashed in another process")
    #expect(try hasher.verify("hashed in another process", against: phc))
    let pid = try #require(helper.helperPID)
    #expect(pid != getpid())
    #expect(getsid(pid) == pid, "the helper leads a session of its own, so it has an autogroup of its own")
    if let autogroup = try? String(contentsOfFile: "/proc/\(pid)/autogroup", encoding: .utf8) {
        #expect(autogroup.contains("nice \(HashingProcess.groupNiceness)"), "autogroup: \(autogroup)")
    }
    #expect(threadNiceness(of: pid).contains(Int(HashingThreads.niceness)), "the hashing thread runs at nice 10")
    #expect(problems.all.isEmpty)

    // Killed outright, it is replaced; meanwhile this process answers.
    kill(pid, SIGKILL)
    #expect(try hasher.verify("hashed in another process", against: phc))
    Thread.sleep(forTimeInterval: 1.1)
    #expect(try hasher.verify("hashed in another process", against: phc))
    let second = try #require(helper.helperPID)
    #expect(second != pid)

    // Closing the socket ends it.
    helper.stop()
    let deadline = Date().addingTimeInterval(10)
    while kill(second, 0) == 0 && Date() < deadline { usleep(10_000) }
    #expect(kill(second, 0) != 0, "the helper ended when its socket closed")
}
#endif
