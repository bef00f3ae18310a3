/// Per-connection state, owned by one I/O thread.
///
/// The only field a worker touches is the immutable `fd`, and only while `state` is
/// `.processing`; the I/O thread never closes the descriptor in that state, so a worker can
/// never write to a descriptor that was closed and reused.
final class Connection: @unchecked Sendable {
    enum State {
        /// Reading and parsing; the parser's phase picks the timeout.
        case reading
        /// A worker owns the current request.
        case processing
        /// Sending buffered response bytes as the socket accepts them (EPOLLOUT).
        case writing
        /// Response sent, write side shut; discarding input until EOF or the linger deadline.
        case lingering
        /// Descriptor closed.
        case closed
    }

    let fd: Int32
    let remoteAddress: String
    var parser: HTTPParser
    var state: State = .reading
    /// The parser phase the current deadline was set for.
    var phase: HTTPParser.Phase = .head
    /// Monotonic nanoseconds after which the connection times out; 0 = none.
    var deadline: UInt64
    var output: [UInt8] = []
    var outputOffset = 0
    var closeAfterWrite = false
    var peerClosed = false
    var readPaused = false
    var requestCount = 0

    init(fd: Int32, remoteAddress: String, limits: HTTPParser.Limits, deadline: UInt64) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.parser = HTTPParser(limits: limits)
        self.deadline = deadline
    }
}

/// What happened when a worker tried to send a response.
enum WriteOutcome {
    /// Every byte went out.
    case sent
    /// Every byte went out, and the body was delimited by closing the connection (a streamed
    /// body to an HTTP/1.0 client, RFC 9112 §6.3 rule 8): the connection must not be reused.
    case sentThenClose
    /// The socket filled up; these bytes remain for the I/O thread to send.
    case partial([UInt8])
    /// The peer is gone (reset, broken pipe).
    case failed
}
