import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads that run argon2 computations under the `SCHED_IDLE` policy.
///
/// A login storm then takes at most `count` cores, and only the time page views leave idle: a page
/// worker that wakes preempts a hashing thread at once (sched(7): the scheduler favours any other
/// task over a `SCHED_IDLE` one at wake-up), where a merely "nice" thread could keep the core for the
/// rest of its time slice. Hashing is not starved outright: under a full load it still gets a small
/// share (the lowest CFS weight), and sign-ins beyond the hasher's waiting limit are refused as busy.
/// Linux applies `sched_setscheduler(0, …)` to the calling thread alone, which makes this per-thread.
final class HashingThreads: @unchecked Sendable {
    /// `SCHED_IDLE` from <linux/sched.h>; Glibc's module hides the name (it is under _GNU_SOURCE).
    static let idlePolicy: Int32 = 5

    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var stopping = false

    init(count: Int) {
        for index in 0..<count {
            let thread = Thread { [self] in
                #if os(Linux)
                var parameters = sched_param()
                _ = sched_setscheduler(0, Self.idlePolicy, &parameters)
                #endif
                work()
            }
            thread.name = "argon2-\(index)"
            thread.start()
        }
    }

    /// Runs `job` on a hashing thread and returns its result; the caller waits.
    func run<T>(_ job: @escaping () -> T) -> T {
        var result: T?
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        queue.append {
            result = job()
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result!
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
