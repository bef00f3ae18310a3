import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads that run argon2 computations, at a lower scheduling priority.
///
/// A login storm then takes at most `count` cores, and only the time page views leave idle:
/// the kernel runs the web's worker threads first (nice 10 here versus 0 for them). Linux applies
/// `setpriority(PRIO_PROCESS, 0, …)` to the calling thread alone, which is what makes this per-thread.
final class HashingThreads: @unchecked Sendable {
    /// The niceness of hashing threads: lower priority than request handling, never starved outright.
    static let niceness: Int32 = 10

    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var stopping = false

    init(count: Int) {
        for index in 0..<count {
            let thread = Thread { [self] in
                #if os(Linux)
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
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
