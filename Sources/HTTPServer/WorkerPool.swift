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
///
/// Idle workers wait on their own semaphore and are woken last-idle-first: the worker that just
/// finished a job is the one whose stack and caches are warm, and a wake-up is a single futex call
/// made after the queue lock is released, so the woken worker never blocks on that lock.
final class WorkerPool: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [Job] = []
    private var head = 0
    /// Workers waiting for a job, most recently idle last.
    private var idle: [UnsafeMutablePointer<sem_t>] = []
    private var stopping = false
    private let execute: (Job) -> Void

    init(threadCount: Int, execute: @escaping (Job) -> Void) {
        self.execute = execute
        queue.reserveCapacity(256)
        idle.reserveCapacity(max(1, threadCount))
        for index in 0..<max(1, threadCount) {
            let thread = spawnThread(name: "http-worker-\(index)") { [self] in self.work() }
            pthread_detach(thread)
        }
    }

    /// Queues a job; wakes the most recently idle worker if there is one.
    func submit(_ job: Job) {
        lock.lock()
        queue.append(job)
        let worker = idle.popLast()
        lock.unlock()
        if let worker { sem_post(worker) }
    }

    /// Lets workers finish queued jobs and exit; never waits for them (a handler could hang).
    func stop() {
        lock.lock()
        stopping = true
        let sleepers = idle
        idle.removeAll()
        lock.unlock()
        for worker in sleepers { sem_post(worker) }
    }

    private func work() {
        // The semaphore lives as long as the thread: workers exit only after `stop`, which takes
        // every sleeper off `idle` before posting it.
        let wakeUp = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(wakeUp, 0, 0)
        defer {
            sem_destroy(wakeUp)
            wakeUp.deallocate()
        }
        while true {
            lock.lock()
            if head == queue.count {
                if stopping {  // stopping and drained
                    lock.unlock()
                    return
                }
                idle.append(wakeUp)
                lock.unlock()
                // A post that comes before this wait is kept by the semaphore, so no wake-up is lost.
                while sem_wait(wakeUp) != 0 && errno == EINTR {}
                continue
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
