#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with a condition variable, for the few places threads share state.
///
/// Kept as a class with heap-allocated pthread objects because pthread types must not move
/// in memory once initialised.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held.
    @inline(__always)
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a signal; the mutex must be held.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits for a signal or until `nanoseconds` of wall time pass; the mutex must be held.
    func wait(timeoutNanoseconds nanoseconds: UInt64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = UInt64(now.tv_nsec) + nanoseconds % 1_000_000_000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + Int(nanoseconds / 1_000_000_000) + Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Starts a detached-style joinable pthread running `body`; used for I/O and worker threads.
///
/// Plain pthreads rather than Foundation's `Thread` keep Foundation out of this target.
func spawnThread(name: String, _ body: @escaping () -> Void) -> pthread_t {
    final class Box { let body: () -> Void; let name: String; init(_ b: @escaping () -> Void, _ n: String) { body = b; name = n } }
    let box = Unmanaged.passRetained(Box(body, name)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        _ = LinuxSystem.setThreadName(pthread_self(), String(box.name.prefix(15)))
        box.body()
        return nil
    }, box)
    precondition(result == 0, "pthread_create failed with \(result)")
    return thread
}
