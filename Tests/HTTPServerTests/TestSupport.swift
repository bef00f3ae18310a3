#if canImport(Glibc)
import Glibc
#endif
import Testing
import Logging
@testable import HTTPServer

/// A parsed response as a test client sees it.
struct ClientResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking test client on a real socket, with a receive timeout so a broken server fails
/// the test instead of hanging it.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 5) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket", errno: errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SystemCallError(call: "connect", errno: code)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw SystemCallError(call: "send", errno: errno) }
            offset += count
        }
    }

    /// Reads more bytes; false on EOF, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Reads one response; nil if the connection closed or timed out first.
    func readResponse(isHead: Bool = false) -> ClientResponse? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
                var headers = HTTPHeaders()
                for line in lines where !line.isEmpty {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingOptionalWhitespace())
                }
                let length = (isHead || status == 304 || status == 204 || status < 200) ? 0 : Int(headers["Content-Length"] ?? "0") ?? 0
                while buffer.count < end + 4 + length {
                    guard fill() else { return nil }
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return ClientResponse(status: status, headers: headers, body: body)
            }
            guard fill() else { return nil }
        }
    }

    /// Whether the server closed the connection (EOF) within the timeout, with nothing more sent.
    func readsEndOfFile() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

extension String {
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

/// Collects log messages so tests can check the access log.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    final class Store: @unchecked Sendable {
        private let lock = ConditionLock()
        private var entries: [(Logger.Level, String)] = []
        func append(_ level: Logger.Level, _ message: String) { lock.withLock { entries.append((level, message)) } }
        var messages: [(Logger.Level, String)] { lock.withLock { entries } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(store: Store) { self.store = store }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        store.append(level, message.description)
    }
}

/// A quiet logger for tests that do not inspect logs.
func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

/// Starts a server on an ephemeral port and stops it after `body`, even when `body` throws.
func withServer(
    _ configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    logger: Logger = quietLogger(),
    handler: @escaping Handler = { request in Response(text: "path=\(request.path)") },
    _ body: (HTTPServer) throws -> Void
) throws {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, workerCount: 4)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, logger: logger, handler: handler)
    try server.start()
    defer {
        server.shutdown()
        server.waitUntilStopped()
    }
    try body(server)
}

func sleepMilliseconds(_ milliseconds: Int) {
    usleep(useconds_t(milliseconds * 1000))
}

func elapsedMilliseconds(since start: UInt64) -> Int {
    Int((monotonicNanoseconds() - start) / 1_000_000)
}

/// Holds the thread that logs a message starting with `prefix` until `open()`, so a test can
/// keep the server's I/O thread still (it logs the access line of a rejected request) while
/// clients queue up in the listen backlog.
final class LogGate: @unchecked Sendable {
    let prefix: String
    private let lock = ConditionLock()
    private var isOpen = false
    private var isHolding = false

    init(prefix: String) { self.prefix = prefix }

    /// Called for every log message; blocks (at most 10 s) on a matching one while closed.
    func pass(_ message: String) {
        guard message.hasPrefix(prefix) else { return }
        let deadline = monotonicNanoseconds() + 10_000_000_000
        lock.lock()
        defer { lock.unlock() }
        isHolding = true
        lock.broadcast()
        while !isOpen && monotonicNanoseconds() < deadline { lock.wait(timeoutNanoseconds: 50_000_000) }
    }

    /// Whether some thread is being held, waiting at most `milliseconds` for it to arrive.
    func waitUntilHolding(milliseconds: Int = 5000) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
        lock.lock()
        defer { lock.unlock() }
        while !isHolding && monotonicNanoseconds() < deadline { lock.wait(timeoutNanoseconds: 50_000_000) }
        return isHolding
    }

    /// Lets the held thread (and every later matching message) through.
    func open() {
        lock.withLock {
            isOpen = true
            lock.broadcast()
        }
    }

    /// A logger at `.info` whose every message goes through this gate.
    func logger() -> Logger {
        var logger = Logger(label: "test") { _ in GateLogHandler(gate: self) }
        logger.logLevel = .info
        return logger
    }
}

/// A log handler that discards messages after passing them through a `LogGate`.
struct GateLogHandler: LogHandler {
    let gate: LogGate
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        gate.pass(message.description)
    }
}

/// Whether connecting to `port` is refused (the listener closed) within `milliseconds`.
func connectionsAreRefused(port: Int, withinMilliseconds milliseconds: Int = 2000) -> Bool {
    let start = monotonicNanoseconds()
    while elapsedMilliseconds(since: start) < milliseconds {
        do {
            _ = try TestClient(port: port)  // still listening: closed again at once
        } catch {
            return true
        }
        sleepMilliseconds(10)
    }
    return false
}
