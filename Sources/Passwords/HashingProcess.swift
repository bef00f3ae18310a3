import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs argon2 computations in a helper process of lower priority than everything else on the machine.
///
/// Why a process and not just low-priority threads: Linux schedules by group before it schedules by
/// thread. With autogroups (the default for processes started from a session) every session is one group
/// of equal weight, and each PostgreSQL backend calls `setsid` and so is a group of its own. A thread at
/// nice 10 is behind the server's other threads, but its group still weighs as much as a backend's: during
/// a login storm the argon2 core then made backends that serve page views wait (up to 185 ms, seen with
/// `perf sched timehist`). The helper starts a session of its own (so an autogroup of its own) and sets that
/// group's niceness to `groupNiceness`; its threads also run at `HashingThreads.niceness`, which is what
/// counts when autogroups are off (for example inside a systemd service's cgroup).
///
/// The helper is this same executable, started as `<executable> <arguments>` (for `clinic`,
/// `clinic hash-helper`), talking `HelperWire` frames over a socket pair on its standard input and output.
/// It ends when its socket closes or the server dies (`PR_SET_PDEATHSIG`, which Linux sends when the *thread* that
/// started it ends: `clinic serve` starts it from its main thread and restarts it from worker threads, which all
/// live as long as the server; a helper started from a short-lived thread is merely restarted sooner). If it cannot be started or dies,
/// the computation runs on in-process `HashingThreads` instead (the answer is the same, only the isolation
/// is lost), `onProblem` is told, and the helper is started again at most once per `restartInterval`.
public final class HashingProcess: Argon2Runner, @unchecked Sendable {
    /// The autogroup niceness the helper asks for: the lowest weight, so page views always come first.
    public static let groupNiceness = 19
    /// How often a failed or dead helper is started again.
    static let restartInterval: Duration = .seconds(1)

    /// Starts a helper and returns its end of the socket and its process id.
    typealias Spawner = () throws -> (socket: Int32, pid: pid_t?)

    private let spawner: Spawner
    /// The longest a computation may take in the helper before it is presumed hung and killed.
    private let replyTimeout: DispatchTimeInterval
    private let threads: Int
    private let onProblem: @Sendable (String) -> Void
    private let lock = NSLock()
    private var channel: Channel?
    private var lastStart: ContinuousClock.Instant?
    private var nextID: UInt32 = 0
    private var pending: [UInt32: Waiter] = [:]
    private var stopped = false
    private var localThreads: HashingThreads?

    /// Starts `executable arguments…` as the helper; `threads` is how many computations the caller runs at once
    /// (the in-process fallback gets as many threads).
    public convenience init(executable: String, arguments: [String], threads: Int,
                            onProblem: @escaping @Sendable (String) -> Void) {
        self.init(threads: threads, onProblem: onProblem) {
            try HashingProcess.spawn(executable: executable, arguments: arguments)
        }
    }

    init(threads: Int, replyTimeout: DispatchTimeInterval = .seconds(30),
         onProblem: @escaping @Sendable (String) -> Void, spawner: @escaping Spawner) {
        self.threads = max(1, threads)
        self.replyTimeout = replyTimeout
        self.onProblem = onProblem
        self.spawner = spawner
        var problem: String?
        lock.lock()
        _ = currentChannel(problem: &problem)
        lock.unlock()
        problem.map(onProblem)
    }

    /// Whether a helper process is running now.
    var isHelperRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return channel != nil
    }

    /// The helper's process id, if it is running and is a process (tests may run it on a thread).
    public var helperPID: pid_t? {
        lock.lock()
        defer { lock.unlock() }
        return channel?.pid
    }

    func run(_ job: Argon2Job) -> Argon2Job.Outcome {
        if let outcome = runInHelper(job) { return outcome }
        lock.lock()
        if stopped {
            lock.unlock()
            return job.perform()
        }
        if localThreads == nil { localThreads = HashingThreads(count: threads) }
        let local = localThreads!
        lock.unlock()
        return local.run(job)
    }

    /// Shuts the helper's socket, which ends the helper, and lets the fallback threads end. Callers still waiting
    /// for the helper compute in this process instead.
    func stop() {
        lock.lock()
        stopped = true
        let local = localThreads
        let current = channel
        lock.unlock()
        if let current { drop(current) }
        local?.stop()
    }

    deinit { stop() }

    // MARK: - Internals

    private func runInHelper(_ job: Argon2Job) -> Argon2Job.Outcome? {
        let waiter = Waiter()
        var problem: String?
        lock.lock()
        guard let current = currentChannel(problem: &problem) else {
            lock.unlock()
            problem.map(onProblem)
            return nil
        }
        nextID &+= 1
        let id = nextID
        pending[id] = waiter
        var frame = HelperWire.request(id: id, job: job)
        // Under the lock, so frames from several callers never interleave. It cannot block for long: a frame is at
        // most `HelperWire.maximumBody`, and the caller's permits keep at most a few outstanding, far below the
        // socket's buffer.
        let sent = HelperWire.writeAll(current.socket, frame)
        let writeError = errno
        PasswordHasher.wipe(&frame)
        if !sent { pending[id] = nil }
        lock.unlock()
        guard sent else {
            lost(current, because: "could not write to the hashing helper: \(String(cString: strerror(writeError)))")
            return nil
        }
        guard waiter.done.wait(timeout: .now() + replyTimeout) == .success else {
            lock.lock()
            pending[id] = nil
            lock.unlock()
            current.kill()
            lost(current, because: "the hashing helper did not answer in time")
            return nil
        }
        return waiter.outcome
    }

    /// The running helper's channel, starting one if none runs and the last start is long enough ago.
    /// Called with `lock` held; a failure to start is left in `problem` for the caller to report after unlocking.
    private func currentChannel(problem: inout String?) -> Channel? {
        if let channel { return channel }
        guard !stopped else { return nil }
        let now = ContinuousClock.now
        if let lastStart, now - lastStart < Self.restartInterval { return nil }
        lastStart = now
        do {
            let (socket, pid) = try spawner()
            let started = Channel(socket: socket, pid: pid)
            channel = started
            // Weak: the reader holds the object only while it hands over a reply, so dropping the last other
            // reference still ends the helper (deinit → stop).
            let reader = Thread { [weak self] in
                while let body = HelperWire.readFrame(started.socket) {
                    guard let self, self.deliver(body) else { break }
                }
                self?.lost(started, because: "the hashing helper ended")
                started.finish()
            }
            reader.name = "argon2-helper-reader"
            reader.start()
            return started
        } catch {
            problem = "could not start the hashing helper (hashing in this process instead): \(error)"
            return nil
        }
    }

    /// Hands one reply to its waiter; false for a malformed reply, which ends the channel.
    /// The reader thread alone closes the socket afterwards (`Channel.finish`), so no read meets a reused descriptor.
    private func deliver(_ body: [UInt8]) -> Bool {
        guard let (id, outcome) = HelperWire.parseReply(body) else { return false }
        lock.lock()
        let waiter = pending.removeValue(forKey: id)
        lock.unlock()
        waiter?.finish(outcome)
        return true
    }

    /// Forgets `current` (once), fails its waiters so they compute in-process, and shuts its socket (the reader
    /// thread then closes it and reaps the process).
    private func lost(_ current: Channel, because reason: String) {
        if drop(current) { onProblem("\(reason); hashing in this process until it is restarted") }
    }

    /// Forgets `current` if it is still the channel in use, fails its waiters and shuts its socket. Returns whether
    /// it did, and the helper was lost rather than stopped.
    @discardableResult
    private func drop(_ current: Channel) -> Bool {
        lock.lock()
        guard channel === current else {
            lock.unlock()
            return false
        }
        channel = nil
        let orphans = pending
        pending = [:]
        let wasStopped = stopped
        lock.unlock()
        for waiter in orphans.values { waiter.finish(nil) }
        current.shutDown()
        return !wasStopped
    }

    /// One started helper: its socket, and its process (reaped when the channel closes).
    ///
    /// Once the socket is closed its number may belong to anything (a client's connection), and once the process is
    /// reaped its id may belong to any process: `closed` and `reaped`, set under `lock`, make `shutDown` and `kill`
    /// do nothing from then on.
    private final class Channel: @unchecked Sendable {
        let socket: Int32
        let pid: pid_t?
        private let lock = NSLock()
        private var closed = false
        private var reaped = false

        init(socket: Int32, pid: pid_t?) {
            self.socket = socket
            self.pid = pid
        }

        func kill() {
            lock.lock()
            defer { lock.unlock() }
            if let pid, !reaped { _ = Glibc.kill(pid, SIGKILL) }
        }

        /// Shuts the socket both ways: the helper reads end of file and exits, and the reader thread wakes.
        func shutDown() {
            lock.lock()
            defer { lock.unlock() }
            if !closed { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }

        /// Closes the socket and reaps the process; called once, by the reader thread, when it is done. It waits
        /// for the exit without reaping first (`WNOWAIT`: the id stays taken by the zombie), so `kill` cannot reach
        /// another process, and it never holds the lock while the helper is still running.
        func finish() {
            lock.lock()
            closed = true
            Glibc.close(socket)
            lock.unlock()
            guard let pid else { return }
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            lock.lock()
            reaped = true
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            lock.unlock()
        }
    }

    private final class Waiter: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private(set) var outcome: Argon2Job.Outcome?

        func finish(_ outcome: Argon2Job.Outcome?) {
            self.outcome = outcome
            done.signal()
        }
    }

    // MARK: - Starting the helper

    /// What went wrong starting the helper.
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// `posix_spawn`s `executable` with one end of a socket pair as its standard input and output, in a session
    /// of its own, with default signal handling and no other descriptor of ours.
    static func spawn(executable: String, arguments: [String]) throws -> (socket: Int32, pid: pid_t?) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw SpawnError(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(ends[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc's value; not exported to Swift): a session, hence an autogroup, of its own.
        clinic_spawn_clean(&actions, &attributes, 0x80)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            Glibc.close(ends[0])
            throw SpawnError(description: "\(executable): \(String(cString: strerror(spawned)))")
        }
        return (ends[0], pid)
    }
}
