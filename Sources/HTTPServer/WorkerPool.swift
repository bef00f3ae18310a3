#if canImport(Glibc)
import Glibc
#endif

/// A complete request handed from an I/O thread to a worker.
struct Job {
    let connection: Connection
    let request: Request
    let keepAlive: Bool
    let loop: EventLoop
    let receivedAt: UInt64
}

/// A fixed set of threads running jobs from one FIFO queue (DESIGN.md §2 "Threads").
///
/// Workers may block inside handlers (database, hashing); the I/O threads never do.
final class WorkerPool: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [Job] = []
    private var head = 0
    private var idleWorkers = 0
    private var stopping = false
    private let execute: (Job) -> Void

    init(threadCount: Int, execute: @escaping (Job) -> Void) {
        self.execute = execute
        queue.reserveCapacity(256)
        for index in 0..<max(1, threadCount) {
            let thread = spawnThread(name: "http-worker-\(index)") { [self] in self.work() }
            pthread_detach(thread)
        }
    }

    /// Queues a job; wakes one idle worker if there is one.
    func submit(_ job: Job) {
        lock.lock()
        queue.append(job)
        if idleWorkers > 0 { lock.signal() }
        lock.unlock()
    }

    /// Lets workers finish queued jobs and exit; never waits for them (a handler could hang).
    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    private func work() {
        while true {
            lock.lock()
            while head == queue.count && !stopping {
                idleWorkers += 1
                lock.wait()
                idleWorkers -= 1
            }
            if head == queue.count {  // stopping and drained
                lock.unlock()
                return
            }
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= queue.count {
                queue.removeSubrange(0..<head)
                head = 0
            }
            lock.unlock()
            execute(job)
        }
    }
}
