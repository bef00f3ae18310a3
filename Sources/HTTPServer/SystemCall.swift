#if canImport(Glibc)
import Glibc
#endif

/// A failed POSIX call: the call's name and the `errno` it set.
///
/// Every socket, epoll and file operation in this target reports failure with this type, so a
/// log line says exactly what failed, e.g. `bind failed: Address already in use (errno 98)`.
public struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Name of the failed call, e.g. `"bind"`.
    public let call: String
    /// The `errno` value the call left behind.
    public let errno: Int32

    /// Human-readable form: call, strerror text and errno number.
    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

// MARK: - The one helper every POSIX call goes through

/// Runs a POSIX call that returns -1 on failure.
///
/// Retries `EINTR`; returns `nil` for `EAGAIN`/`EWOULDBLOCK` so non-blocking callers can wait
/// for readiness; throws `SystemCallError` for anything else. `EBADF` and `EFAULT` trap: they
/// mean this code passed a closed descriptor or a bad pointer, which is our bug and must not be
/// mistaken for a misbehaving peer (same policy as swift-nio's `System.swift`).
@inline(__always)
func nonBlockingSystemCall<T: FixedWidthInteger & SignedInteger>(
    _ name: StaticString, _ body: () -> T
) throws -> T? {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK:
            return nil
        case EBADF, EFAULT:
            fatalError("\(name) failed with errno \(code): HTTPServer passed a bad descriptor or pointer")
        default:
            throw SystemCallError(call: "\(name)", errno: code)
        }
    }
}

/// Runs a POSIX call where "would block" is itself a failure (setup calls, blocking files).
///
/// Same `EINTR` / trap policy as `nonBlockingSystemCall`; throws on `EAGAIN` as well.
@inline(__always)
@discardableResult
func systemCall<T: FixedWidthInteger & SignedInteger>(
    _ name: StaticString, _ body: () -> T
) throws -> T {
    guard let result = try nonBlockingSystemCall(name, body) else {
        throw SystemCallError(call: "\(name)", errno: EAGAIN)
    }
    return result
}

/// Closes a descriptor exactly once.
///
/// Linux releases the descriptor even when `close` reports `EINTR`, so unlike every other call
/// this one must not be retried (a retry could close a descriptor another thread just opened).
func closeDescriptor(_ fd: Int32) {
    if close(fd) == -1 && Glibc.errno == EBADF {
        fatalError("close(\(fd)) failed with EBADF: descriptor closed twice")
    }
}

/// Monotonic clock in nanoseconds, for deadlines and request timing (never goes backwards).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
