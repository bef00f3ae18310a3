#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Immutable things every thread of one server shares.
final class ServerContext: @unchecked Sendable {
    let configuration: HTTPServer.Configuration
    let limits: HTTPParser.Limits
    let logger: Logger
    let handler: Handler
    let dates = DateCache()

    init(configuration: HTTPServer.Configuration, logger: Logger, handler: @escaping Handler) {
        self.configuration = configuration
        self.limits = configuration.parserLimits
        self.logger = logger
        self.handler = handler
    }
}

/// One I/O thread: an epoll loop over the listening socket and its connections.
///
/// Sockets are non-blocking and edge-triggered for `EPOLLIN|EPOLLOUT` (registered once, so a
/// request costs no `epoll_ctl`). Complete requests go to the worker pool; finished responses
/// come back through `complete(_:_:)`, a locked queue plus an eventfd wake-up.
final class EventLoop: @unchecked Sendable {
    /// Upper bound on one `epoll_wait`, so deadlines are checked at least this often.
    static let tickMilliseconds: Int32 = 100
    /// Bytes read per `read` call into the shared scratch buffer.
    static let scratchSize = 64 * 1024
    /// While a request is being handled, buffer at most this much of the next ones.
    static let pipelineBufferLimit = 64 * 1024
    /// Extra connections allowed to linger while being told 503, beyond `maxConnections`.
    static let overflowAllowance = 64

    private let context: ServerContext
    private let pool: WorkerPool
    private let listenFD: Int32
    private let epollFD: Int32
    private let wakeFD: Int32
    private let scratch: UnsafeMutableRawBufferPointer
    private var connections: [Connection?] = []
    private var connectionCount = 0
    private var listening = true
    private var acceptPausedUntil: UInt64 = 0
    private var draining = false
    private var graceDeadline: UInt64 = 0
    /// While draining: when connections still without a complete request are closed.
    private var requestGraceDeadline: UInt64 = 0
    private let onListenerReleased: () -> Void

    // Shared with workers and `HTTPServer.shutdown()`, guarded by `mailboxLock`.
    private let mailboxLock = ConditionLock()
    private var completions: [(Connection, WriteOutcome)] = []
    private var shutdownRequested = false
    private var mailboxOpen = true

    init(context: ServerContext, pool: WorkerPool, listenFD: Int32, onListenerReleased: @escaping () -> Void) throws {
        self.context = context
        self.pool = pool
        self.listenFD = listenFD
        self.onListenerReleased = onListenerReleased
        epollFD = try systemCall("epoll_create1") { LinuxSystem.epollCreate1(LinuxSystem.epollCloexec) }
        do {
            wakeFD = try systemCall("eventfd") { LinuxSystem.eventfd(0, LinuxSystem.eventfdNonblock | LinuxSystem.eventfdCloexec) }
        } catch {
            closeDescriptor(epollFD)
            throw error
        }
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scratchSize, alignment: 16)
        do {
            try register(wakeFD, events: LinuxSystem.epollIn)
            // EPOLLEXCLUSIVE: with several I/O threads, one connection wakes one thread.
            try register(listenFD, events: LinuxSystem.epollIn | LinuxSystem.epollExclusive)
        } catch {
            closeDescriptor(wakeFD)
            closeDescriptor(epollFD)
            scratch.deallocate()
            throw error
        }
    }

    deinit {
        scratch.deallocate()
    }

    private func register(_ fd: Int32, events: UInt32) throws {
        try systemCall("epoll_ctl(ADD)") { LinuxSystem.epollControl(epollFD, LinuxSystem.epollCtlAdd, fd, events: events) }
    }

    // MARK: - Cross-thread entry points

    /// Called by a worker when it has sent (or failed to send) a response.
    func complete(_ connection: Connection, _ outcome: WriteOutcome) {
        mailboxLock.lock()
        defer { mailboxLock.unlock() }
        guard mailboxOpen else { return }
        let wasEmpty = completions.isEmpty
        completions.append((connection, outcome))
        if wasEmpty { wake() }
    }

    /// Asks the loop to stop accepting, finish in-flight requests and exit.
    func requestShutdown() {
        mailboxLock.lock()
        defer { mailboxLock.unlock() }
        guard mailboxOpen else { return }
        shutdownRequested = true
        wake()
    }

    /// Must be called with `mailboxLock` held, so the eventfd cannot be closed meanwhile.
    private func wake() {
        var one: UInt64 = 1
        _ = try? nonBlockingSystemCall("write(eventfd)") { write(wakeFD, &one, 8) }
    }

    // MARK: - The loop

    /// Runs until shutdown completes; returns on the loop's own thread.
    func run() {
        let capacity: Int32 = 512
        let events = EpollEventBuffer(capacity: capacity)
        defer { events.deallocate() }
        var nextSweep = monotonicNanoseconds() + UInt64(Self.tickMilliseconds) * 1_000_000
        var pending: [(Connection, WriteOutcome)] = []
        pending.reserveCapacity(64)

        while true {
            let count: Int32
            do {
                count = try nonBlockingSystemCall("epoll_wait") { LinuxSystem.epollWaitFunction(epollFD, events.storage, capacity, Self.tickMilliseconds) } ?? 0
            } catch {
                context.logger.critical("I/O loop stopped: \(error)")
                break
            }
            for index in 0..<Int(count) {
                let fd = events.fd(at: index)
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = try? nonBlockingSystemCall("read(eventfd)") { read(wakeFD, &value, 8) }
                } else if fd == listenFD {
                    if listening { acceptConnections() }
                } else if let connection = connection(for: fd) {
                    handle(events.events(at: index), on: connection)
                }
            }

            mailboxLock.lock()
            swap(&pending, &completions)
            let stopNow = shutdownRequested && !draining
            mailboxLock.unlock()
            for (connection, outcome) in pending { finishProcessing(connection, outcome) }
            pending.removeAll(keepingCapacity: true)
            if stopNow { beginDraining() }

            let now = monotonicNanoseconds()
            if now >= nextSweep {
                sweep(now: now)
                nextSweep = now + UInt64(Self.tickMilliseconds) * 1_000_000
            }
            if draining && (connectionCount == 0 || now >= graceDeadline) { break }
        }
        tearDown()
    }

    private func connection(for fd: Int32) -> Connection? {
        Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    private func handle(_ events: UInt32, on connection: Connection) {
        let readable = LinuxSystem.epollIn | LinuxSystem.epollHup | LinuxSystem.epollErr | LinuxSystem.epollRdHup
        if events & readable != 0 {
            onReadable(connection)
        }
        if events & LinuxSystem.epollOut != 0 && connection.state == .writing {
            flush(connection)
        }
    }

    // MARK: - Accepting

    /// Accepts waiting connections: at most 128 per call so one busy listener cannot starve
    /// the others, or with `untilEmpty` every one the backlog holds (before the listener closes;
    /// bounded at twice the backlog so clients that keep connecting cannot hold the loop here).
    private func acceptConnections(untilEmpty: Bool = false) {
        let now = monotonicNanoseconds()
        if now < acceptPausedUntil && !untilEmpty { return }
        var remaining = untilEmpty ? 2 * max(128, context.configuration.backlog) : 128
        while remaining > 0 {
            remaining -= 1
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let accepted: Int32?
            do {
                accepted = try withUnsafeMutablePointer(to: &storage) { pointer in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        try nonBlockingSystemCall("accept4") {
                            LinuxSystem.accept4(listenFD, address, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
                        }
                    }
                }
            } catch let error as SystemCallError {
                switch error.errno {
                case ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: the level-triggered listener would spin, so pause it.
                    context.logger.error("accept paused: \(error)")
                    acceptPausedUntil = now + 100_000_000
                    return
                default:
                    context.logger.error("accept failed: \(error)")
                    return
                }
            } catch {
                return
            }
            guard let fd = accepted else { return }
            Socket.setNoDelay(fd)
            let connection = Connection(
                fd: fd, remoteAddress: Socket.addressText(storage), limits: context.limits,
                deadline: now + context.configuration.headerReadTimeout.nanoseconds)
            let overflow = connectionCount >= context.configuration.maxConnections
            if overflow && connectionCount >= context.configuration.maxConnections + Self.overflowAllowance {
                closeDescriptor(fd)
                continue
            }
            do {
                try register(fd, events: LinuxSystem.epollIn | LinuxSystem.epollOut | LinuxSystem.epollRdHup | LinuxSystem.epollEdgeTriggered)
            } catch {
                context.logger.error("cannot watch connection: \(error)")
                closeDescriptor(fd)
                continue
            }
            if Int(fd) >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: max(Int(fd) + 1 - connections.count, connections.count)))
            }
            connections[Int(fd)] = connection
            connectionCount += 1
            if overflow {
                // Over the connection limit: tell the client why, then close.
                logAccess(method: "-", path: "-", status: 503, bytes: 0, since: now)
                sendError(503, on: connection)
            }
        }
    }

    // MARK: - Reading and parsing

    private enum ReadResult {
        case data(Int)
        case wouldBlock
        case endOfFile
        case failed
    }

    private func readChunk(_ fd: Int32) -> ReadResult {
        do {
            guard let count = try nonBlockingSystemCall("read", { read(fd, scratch.baseAddress, Self.scratchSize) }) else {
                return .wouldBlock
            }
            return count == 0 ? .endOfFile : .data(count)
        } catch {
            return .failed
        }
    }

    private func onReadable(_ connection: Connection) {
        if connection.state == .lingering {
            drainLingering(connection)
            return
        }
        while connection.state != .closed && !connection.peerClosed {
            if connection.state != .reading && connection.parser.bufferedByteCount >= Self.pipelineBufferLimit {
                connection.readPaused = true  // resumed in `afterResponse`
                return
            }
            switch readChunk(connection.fd) {
            case .data(let count):
                connection.parser.append(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                if connection.state == .reading { process(connection) }
                // A short read drained the socket; edge-triggered epoll reports new data later.
                if count < Self.scratchSize { return }
            case .wouldBlock:
                return
            case .endOfFile:
                connection.peerClosed = true
                if connection.state == .reading { process(connection) }
                return
            case .failed:
                connection.peerClosed = true
                if connection.state == .reading || connection.state == .writing { close(connection) }
                return
            }
        }
    }

    /// Parses buffered bytes and acts on the result until a request is handed off or more
    /// bytes are needed.
    private func process(_ connection: Connection) {
        while connection.state == .reading {
            switch connection.parser.next() {
            case .needMoreData:
                if connection.peerClosed {
                    close(connection)
                    return
                }
                let phase = connection.parser.phase
                if phase != connection.phase {
                    connection.phase = phase
                    let deadline = monotonicNanoseconds() + timeout(for: phase)
                    connection.deadline = draining ? min(deadline, requestGraceDeadline) : deadline
                }
                return
            case .sendContinue:
                // 25 bytes into an idle socket's empty send buffer; if even that does not fit,
                // the peer is not reading and is not worth waiting for.
                let sent = ResponseSerializer.continueResponse.withUnsafeBytes { bytes in
                    try? nonBlockingSystemCall("send") { send(connection.fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
                }
                if sent != ResponseSerializer.continueResponse.count {
                    close(connection)
                    return
                }
            case .reject(let status, let reason):
                context.logger.debug("rejected request from \(connection.remoteAddress): \(reason)")
                logAccess(method: "-", path: "-", status: status, bytes: 0, since: monotonicNanoseconds())
                sendError(status, on: connection)
                return
            case .request(var request):
                request.remoteAddress = connection.remoteAddress
                connection.requestCount += 1
                let keepAlive = request.wantsKeepAlive && !draining
                    && connection.requestCount < context.configuration.maxRequestsPerConnection
                connection.closeAfterWrite = !keepAlive
                connection.state = .processing
                connection.deadline = 0
                pool.submit(Job(connection: connection, request: request, keepAlive: keepAlive, loop: self, receivedAt: monotonicNanoseconds()))
                return
            }
        }
    }

    private func timeout(for phase: HTTPParser.Phase) -> UInt64 {
        switch phase {
        case .idle: return context.configuration.keepAliveTimeout.nanoseconds
        case .head: return context.configuration.headerReadTimeout.nanoseconds
        case .body: return context.configuration.bodyReadTimeout.nanoseconds
        }
    }

    // MARK: - Writing

    private func sendError(_ status: Int, on connection: Connection) {
        connection.closeAfterWrite = true
        startWriting(ResponseSerializer.errorResponse(status: status, date: context.dates.current()), on: connection)
    }

    private func startWriting(_ bytes: [UInt8], on connection: Connection) {
        connection.output = bytes
        connection.outputOffset = 0
        connection.state = .writing
        connection.deadline = monotonicNanoseconds() + context.configuration.writeTimeout.nanoseconds
        flush(connection)
    }

    private func flush(_ connection: Connection) {
        while connection.outputOffset < connection.output.count {
            let written: Int?
            do {
                written = try connection.output.withUnsafeBytes { bytes in
                    try nonBlockingSystemCall("send") {
                        send(connection.fd, bytes.baseAddress! + connection.outputOffset,
                             bytes.count - connection.outputOffset, Int32(MSG_NOSIGNAL))
                    }
                }
            } catch {
                close(connection)
                return
            }
            guard let written else {
                connection.deadline = monotonicNanoseconds() + context.configuration.writeTimeout.nanoseconds
                return  // EPOLLOUT (edge-triggered, registered at accept) resumes us
            }
            connection.outputOffset += written
        }
        connection.output = []
        connection.outputOffset = 0
        afterResponse(connection)
    }

    /// A worker finished with `connection`.
    private func finishProcessing(_ connection: Connection, _ outcome: WriteOutcome) {
        guard connection.state == .processing else { return }
        connection.state = .reading  // no worker owns it any more
        switch outcome {
        case .sent:
            afterResponse(connection)
        case .sentThenClose:
            connection.closeAfterWrite = true
            afterResponse(connection)
        case .partial(let rest):
            // The socket may already have drained and fired its EPOLLOUT edge while the worker
            // still owned it, so try sending now instead of waiting for an edge.
            startWriting(rest, on: connection)
        case .failed:
            close(connection)
        }
    }

    private func afterResponse(_ connection: Connection) {
        if connection.closeAfterWrite || draining {
            beginLingering(connection)
            return
        }
        connection.state = .reading
        connection.phase = .idle
        connection.deadline = monotonicNanoseconds() + context.configuration.keepAliveTimeout.nanoseconds
        if connection.readPaused {
            connection.readPaused = false
            process(connection)
            if connection.state == .reading { onReadable(connection) }
        } else {
            process(connection)
        }
    }

    // MARK: - Closing

    /// Half-closes and drains input briefly so the client reads our response rather than a
    /// reset caused by unread request bytes (RFC 9112 §9.6).
    private func beginLingering(_ connection: Connection) {
        if connection.peerClosed {
            close(connection)
            return
        }
        _ = try? systemCall("shutdown") { shutdown(connection.fd, Int32(SHUT_WR)) }
        connection.state = .lingering
        connection.deadline = monotonicNanoseconds() + context.configuration.lingerTimeout.nanoseconds
        drainLingering(connection)
    }

    private func drainLingering(_ connection: Connection) {
        while true {
            switch readChunk(connection.fd) {
            case .data: continue
            case .wouldBlock: return
            case .endOfFile, .failed:
                close(connection)
                return
            }
        }
    }

    private func close(_ connection: Connection) {
        precondition(connection.state != .processing, "closing a connection a worker still owns")
        guard connection.state != .closed else { return }
        connection.state = .closed
        connections[Int(connection.fd)] = nil
        connectionCount -= 1
        closeDescriptor(connection.fd)
    }

    // MARK: - Timeouts and shutdown

    private func sweep(now: UInt64) {
        for case let connection? in connections where connection.deadline != 0 && now >= connection.deadline {
            switch connection.state {
            case .reading:
                if draining {
                    close(connection)  // no complete request within `shutdownRequestGrace`
                } else if connection.parser.phase == .idle && connection.requestCount > 0 {
                    close(connection)  // keep-alive idle: nothing to say
                } else {
                    // RFC 9110 §15.5.9: 408 tells the client we gave up waiting for its request.
                    logAccess(method: "-", path: "-", status: 408, bytes: 0, since: now)
                    sendError(408, on: connection)
                }
            case .writing, .lingering:
                close(connection)
            case .processing, .closed:
                break
            }
        }
        if draining {
            for case let connection? in connections where connection.state == .lingering && now >= graceDeadline {
                close(connection)
            }
        }
    }

    /// Stops accepting without resetting anyone the kernel already connected, and closes
    /// idle keep-alive connections; requests in flight (or arriving within
    /// `shutdownRequestGrace` on a connection that has not had one yet) are answered with
    /// `Connection: close`.
    private func beginDraining() {
        draining = true
        let now = monotonicNanoseconds()
        graceDeadline = now + context.configuration.shutdownGracePeriod.nanoseconds
        requestGraceDeadline = now + context.configuration.shutdownRequestGrace.nanoseconds
        if listening {
            // Closing a listener resets every connection still in its backlog: the clients
            // completed their handshake and may have sent a request, so accept them first.
            acceptConnections(untilEmpty: true)
            listening = false
            _ = try? systemCall("epoll_ctl(DEL)") { LinuxSystem.epollControl(epollFD, LinuxSystem.epollCtlDel, listenFD, events: 0) }
            onListenerReleased()
        }
        for case let connection? in connections where connection.state == .reading {
            // Bytes may have arrived whose edge this loop has not seen yet; closing with unread
            // input would reset the connection, so take them in (a complete request is served).
            onReadable(connection)
            guard connection.state == .reading else { continue }
            if connection.requestCount > 0 && connection.parser.phase == .idle {
                close(connection)  // idle keep-alive: nothing was asked, nothing is owed
            } else {
                // Freshly accepted or part of a request received: a short grace to finish it.
                // A connection being read always has a deadline (set at accept and at each phase change).
                connection.deadline = min(connection.deadline, requestGraceDeadline)
            }
        }
    }

    private func tearDown() {
        mailboxLock.withLock {
            mailboxOpen = false
            closeDescriptor(wakeFD)
        }
        if listening {
            listening = false
            onListenerReleased()
        }
        for case let connection? in connections {
            if connection.state == .processing {
                // A worker may still write to this descriptor: shut it down but never close it,
                // so the number cannot be reused under the worker's feet.
                _ = shutdown(connection.fd, Int32(SHUT_RDWR))
            } else {
                close(connection)
            }
        }
        closeDescriptor(epollFD)
    }

    func logAccess(method: String, path: String, status: Int, bytes: Int, since start: UInt64) {
        context.logger.info("\(method) \(path) \(status) \(bytes)B \((monotonicNanoseconds() &- start) / 1000)us")
    }
}
