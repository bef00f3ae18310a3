import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where argon2 computations run: threads of this process (`HashingThreads`) or the hashing helper
/// process (`HashingProcess`). `run` blocks the caller until the job is done.
protocol Argon2Runner: AnyObject, Sendable {
    func run(_ job: Argon2Job) -> Argon2Job.Outcome
    func stop()
}

/// A fixed set of threads that run argon2 computations, at a lower scheduling priority.
///
/// A login storm then takes at most `count` cores, and only the time the other threads of the same
/// scheduling group leave idle: the kernel runs the web's worker threads first (nice 10 here versus 0
/// for them). Linux applies `setpriority(PRIO_PROCESS, 0, …)` to the calling thread alone, which is what
/// makes this per-thread. Niceness only orders threads inside one scheduling group, though; against other
/// processes (PostgreSQL's backends are each in a session of their own) see `HashingProcess`.
final class HashingThreads: Argon2Runner, @unchecked Sendable {
    /// The niceness of hashing threads: lower priority than request handling, never starved outright.
    static let niceness: Int32 = 10
    /// The scheduling slice hashing threads ask for (Linux ≥ 6.12; the default was 1.4 ms on our 2-core machine).
    /// A thread that just started its slice is not preempted until it ends or the next tick (4 ms at HZ=250);
    /// with short slices a page view's thread waking on the hashing core can run almost at once. In our storm
    /// runs the difference was within the noise; it stays because it costs nothing when nothing else waits.
    static let sliceNanoseconds: UInt64 = 100_000

    /// The CPU each thread is pinned to (nil: not pinned), once the threads have started.
    private(set) var pinnedCPUs: [Int32?]
    /// Whether the kernel took the short slice and niceness through `sched_setattr` (else only `setpriority`).
    private(set) var slicesRequested = false

    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var stopping = false

    /// Starts `count` threads. Thread `i` is pinned to the `i`-th CPU from the end of those the process may use, as
    /// long as that leaves the first one free: argon2 streams through its memory (19 MiB a hash by default); pinned, it
    /// wears out one core's caches instead of every core's (on the bench data set a login storm's page p99 went from
    /// about 17 ms to about 8 ms).
    init(count: Int) {
        pinnedCPUs = Array(repeating: nil, count: count)
        let started = DispatchGroup()
        for index in 0..<count {
            started.enter()
            let thread = Thread { [self] in
                #if os(Linux)
                let cpu = clinic_pin_to_cpu_from_end(Int32(index))
                // The kernel's name for the thread (top, ps -L, perf); Foundation's Thread.name does not set it here.
                _ = pthread_setname_np(pthread_self(), "argon2-\(index)")
                let sliced = clinic_set_fair_priority(Self.niceness, Self.sliceNanoseconds) == 0
                if !sliced { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness) }
                condition.lock()
                pinnedCPUs[index] = cpu >= 0 ? cpu : nil
                if sliced { slicesRequested = true }
                condition.unlock()
                #endif
                started.leave()
                work()
            }
            thread.start()
        }
        started.wait()
    }

    func run(_ job: Argon2Job) -> Argon2Job.Outcome {
        run { job.perform() }
    }

    /// Runs `job` on a hashing thread and returns its result; the caller waits.
    func run<T>(_ job: @escaping () -> T) -> T {
        var result: T?
        let done = DispatchSemaphore(value: 0)
        submit {
            result = job()
            done.signal()
        }
        done.wait()
        return result!
    }

    /// Queues `job` for a hashing thread and returns at once; once stopped (the threads may be gone) it runs `job`
    /// on the caller's thread instead.
    func submit(_ job: @escaping () -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            job()
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads end once the queue is empty (the owning hasher is gone).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let task = queue.removeFirst()
            condition.unlock()
            task()
        }
    }
}
