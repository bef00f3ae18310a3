#if canImport(Glibc)
import Glibc
#endif

/// Sends a response head and body with one gather write, never blocking.
enum ResponseWriter {
    /// Writes `head` then `body` with `sendmsg` (a `writev` that can pass `MSG_NOSIGNAL`, so
    /// a vanished peer yields EPIPE instead of killing the process with SIGPIPE).
    ///
    /// Loops while the socket accepts bytes; stops at `EAGAIN` and returns the unsent rest.
    static func send(head: [UInt8], body: [UInt8], to fd: Int32) -> WriteOutcome {
        let total = head.count + body.count
        var written = 0
        while written < total {
            let result: Int?
            do {
                result = try head.withUnsafeBytes { headBytes in
                    try body.withUnsafeBytes { bodyBytes in
                        try withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
                            var count = 0
                            if written < head.count {
                                vectors[count] = iovec(
                                    iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress! + written),
                                    iov_len: head.count - written)
                                count += 1
                            }
                            let bodyOffset = max(0, written - head.count)
                            if bodyOffset < body.count {
                                vectors[count] = iovec(
                                    iov_base: UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress! + bodyOffset),
                                    iov_len: body.count - bodyOffset)
                                count += 1
                            }
                            var message = msghdr()
                            message.msg_iov = vectors.baseAddress
                            message.msg_iovlen = count
                            return try nonBlockingSystemCall("sendmsg") { sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
                        }
                    }
                }
            } catch {
                return .failed
            }
            guard let result else { break }
            written += result
        }
        if written == total { return .sent }
        var rest = [UInt8]()
        rest.reserveCapacity(total - written)
        if written < head.count {
            rest.append(contentsOf: head[written...])
            rest.append(contentsOf: body)
        } else {
            rest.append(contentsOf: body[(written - head.count)...])
        }
        return .partial(rest)
    }
}
