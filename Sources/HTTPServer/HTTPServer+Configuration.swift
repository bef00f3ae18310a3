#if canImport(Glibc)
import Glibc
#endif

extension HTTPServer {
    /// Every tunable of the server: address, threads, limits and timeouts, with safe defaults.
    ///
    /// Limits answer with the status RFC 9110 assigns (414, 431, 413, 503) and close the
    /// connection; timeouts close it (with 408 when a request was partly received).
    public struct Configuration: Sendable {
        /// Address to bind: an IPv4 or IPv6 literal (`"127.0.0.1"`, `"::"`) or a host name.
        public var host: String
        /// Port to bind; 0 picks a free port, reported by `HTTPServer.port` after `start()`.
        public var port: Int
        /// Worker threads that run handlers; handlers may block (e.g. on PostgreSQL).
        public var workerCount: Int
        /// Threads running an epoll loop over the sockets; 1 is plenty for most loads.
        public var ioThreadCount: Int = 1
        /// Pending-connection queue length passed to `listen`.
        public var backlog: Int = 1024

        /// Longest request line in bytes; beyond it the answer is 414.
        public var maxRequestLineLength: Int = 8 * 1024
        /// Largest header section in bytes; beyond it the answer is 431.
        public var maxHeaderSectionSize: Int = 32 * 1024
        /// Most header fields per request; beyond it the answer is 431.
        public var maxHeaderCount: Int = 100
        /// Largest request body in bytes; beyond it the answer is 413, decided from the
        /// declared `Content-Length` before the body is read.
        public var maxBodySize: Int = 1024 * 1024
        /// Open connections at most; a connection beyond it gets 503 and is closed.
        public var maxConnections: Int = 16 * 1024
        /// Requests served on one connection before it is closed (bounds per-connection state).
        public var maxRequestsPerConnection: Int = 1000

        /// Time allowed from a request's first byte (or the connection's start) to the end of
        /// its head; exceeded: 408 and close. Defends against slowloris-style clients.
        public var headerReadTimeout: Duration = .seconds(10)
        /// Time allowed to receive a body once the head is complete; exceeded: 408 and close.
        public var bodyReadTimeout: Duration = .seconds(30)
        /// How long an idle keep-alive connection stays open between requests.
        public var keepAliveTimeout: Duration = .seconds(30)
        /// Longest a client may go without accepting any response bytes before it is dropped.
        public var writeTimeout: Duration = .seconds(30)
        /// How long `shutdown()` waits for in-flight requests before closing everything.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// While shutting down, how long a connection that has not yet delivered a complete
        /// request may take to do so; that request is then served with `Connection: close`.
        ///
        /// A client whose connect completed just before shutdown (accepted, or still in the
        /// listen backlog) has usually sent or is about to send its request: closing at once
        /// would reset it. Idle keep-alive connections get no such grace (RFC 9112 §9.6 lets a
        /// server close them). Keep it far below `shutdownGracePeriod`: a silent connection
        /// holds shutdown this long.
        public var shutdownRequestGrace: Duration = .milliseconds(200)
        /// After an error response, how long unread request bytes are drained before closing,
        /// so the client sees the response instead of a TCP reset.
        public var lingerTimeout: Duration = .seconds(2)

        /// Creates a configuration; every limit and timeout starts at its documented default.
        public init(host: String = "127.0.0.1", port: Int = 8080, workerCount: Int = Configuration.defaultWorkerCount) {
            self.host = host
            self.port = port
            self.workerCount = workerCount
        }

        /// Four workers per core (at least 8): handlers spend much of their time waiting on
        /// the database, so more workers than cores keeps the CPUs busy.
        public static var defaultWorkerCount: Int {
            max(8, 4 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }

        var parserLimits: HTTPParser.Limits {
            HTTPParser.Limits(
                maxRequestLineLength: maxRequestLineLength, maxHeaderSectionSize: maxHeaderSectionSize,
                maxHeaderCount: maxHeaderCount, maxBodySize: maxBodySize)
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; deadlines are kept as monotonic nanoseconds.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
