#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging

/// An HTTP/1.1 server on POSIX sockets and epoll that runs one `Handler` for every request.
///
/// Threads follow DESIGN.md §2: `ioThreadCount` epoll loops own the sockets, a fixed pool of
/// `workerCount` threads runs the handler and writes the response with a non-blocking
/// `sendmsg`; whatever the socket does not take is handed back to the I/O thread. No thread
/// that serves other connections ever waits on one client's socket.
public final class HTTPServer: @unchecked Sendable {
    private enum Lifecycle { case idle, running, stopping, stopped }

    /// The settings this server was created with.
    public let configuration: Configuration
    private let context: ServerContext
    private let lock = ConditionLock()
    private var lifecycle = Lifecycle.idle
    private var loops: [EventLoop] = []
    private var pool: WorkerPool?
    private var listenFD: Int32 = -1
    private var boundPort = 0
    private var runningLoops = 0
    private var loopsHoldingListener = 0
    private var signalSources: [DispatchSourceSignal] = []

    /// Creates a server; nothing is bound until `start()`.
    public init(configuration: Configuration, logger: Logger, handler: @escaping Handler) {
        self.configuration = configuration
        self.context = ServerContext(configuration: configuration, logger: logger, handler: handler)
    }

    /// Binds the socket and starts the I/O and worker threads, then returns.
    ///
    /// Throws `SystemCallError` when the address cannot be resolved or bound (e.g. port in use),
    /// or when called twice.
    public func start() throws {
        lock.lock()
        defer { lock.unlock() }
        guard lifecycle == .idle else { throw SystemCallError(call: "HTTPServer.start (already started)", errno: EALREADY) }
        let (fd, port) = try Socket.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let context = self.context
        let pool = WorkerPool(threadCount: configuration.workerCount) { job in Self.execute(job, context: context) }
        var loops: [EventLoop] = []
        do {
            for _ in 0..<max(1, configuration.ioThreadCount) {
                loops.append(try EventLoop(context: context, pool: pool, listenFD: fd) { [weak self] in self?.listenerReleased() })
            }
        } catch {
            pool.stop()
            closeDescriptor(fd)
            throw error
        }
        self.listenFD = fd
        self.boundPort = port
        self.pool = pool
        self.loops = loops
        runningLoops = loops.count
        loopsHoldingListener = loops.count
        lifecycle = .running
        for (index, loop) in loops.enumerated() {
            let thread = spawnThread(name: "http-io-\(index)") { [self] in
                loop.run()
                self.loopExited()
            }
            pthread_detach(thread)
        }
        context.logger.info("listening on \(configuration.host) port \(port)")
    }

    /// The bound port; valid after `start()` (the real port when configured with 0).
    public var port: Int {
        lock.withLock { boundPort }
    }

    /// Starts a graceful shutdown and returns at once; idempotent.
    ///
    /// Stops accepting (after taking in the connections already in the listen backlog), closes
    /// idle keep-alive connections, gives connections without a complete request yet
    /// `shutdownRequestGrace` to deliver one, lets in-flight requests finish within
    /// `shutdownGracePeriod`, then closes the rest. Use `waitUntilStopped()` to wait for it.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        switch lifecycle {
        case .idle:
            lifecycle = .stopped
            lock.broadcast()
        case .running:
            lifecycle = .stopping
            context.logger.info("shutting down")
            for loop in loops { loop.requestShutdown() }
        case .stopping, .stopped:
            break
        }
    }

    /// Blocks until a shutdown has completed; returns at once if the server never started.
    public func waitUntilStopped() {
        lock.lock()
        defer { lock.unlock() }
        while lifecycle == .running || lifecycle == .stopping { lock.wait() }
    }

    /// Makes SIGTERM and SIGINT start `shutdown()`, so `waitUntilStopped()` returns and the
    /// process can exit 0.
    ///
    /// The signals are ignored at the process level and delivered through Dispatch signal
    /// sources (the default action would kill the process mid-request).
    public func stopOnSignals() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in
                self?.context.logger.notice("received signal \(signalNumber)")
                self?.shutdown()
            }
            source.resume()
            lock.withLock { signalSources.append(source) }
        }
    }

    // MARK: - Loop callbacks

    private func listenerReleased() {
        lock.withLock {
            loopsHoldingListener -= 1
            // Closed only once no loop can be inside accept4 on it.
            if loopsHoldingListener == 0 && listenFD >= 0 {
                closeDescriptor(listenFD)
                listenFD = -1
            }
        }
    }

    private func loopExited() {
        lock.withLock {
            runningLoops -= 1
            guard runningLoops == 0 else { return }
            pool?.stop()
            pool = nil
            loops = []
            for source in signalSources { source.cancel() }
            signalSources = []
            lifecycle = .stopped
            context.logger.info("stopped")
            lock.broadcast()
        }
    }

    // MARK: - Worker side

    /// Runs the handler for one job and sends the response; runs on a worker thread.
    static func execute(_ job: Job, context: ServerContext) {
        let request = job.request
        var response: Response
        do {
            response = try context.handler(request)
        } catch {
            // The client gets a bare 500; the detail goes to the log only.
            context.logger.error("handler failed for \(request.method) \(request.path): \(error)")
            response = Response(
                status: 500, headers: ["Content-Type": "text/plain; charset=utf-8"],
                body: Array("Internal Server Error\n".utf8))
        }
        let serializerContext = ResponseSerializer.Context(
            isHead: request.method == "HEAD", version: request.version, keepAlive: job.keepAlive)
        if response.stream != nil {
            let (outcome, bytes) = StreamSender.send(response, job: job, context: context, serializerContext: serializerContext)
            job.loop.logAccess(method: request.method, path: request.path, status: response.status, bytes: bytes, since: job.receivedAt)
            job.loop.complete(job.connection, outcome)
            return
        }
        let (head, body) = ResponseSerializer.serialize(response, context: serializerContext, date: context.dates.current())
        let outcome = ResponseWriter.send(head: head, body: body, to: job.connection.fd)
        job.loop.logAccess(method: request.method, path: request.path, status: response.status, bytes: body.count, since: job.receivedAt)
        job.loop.complete(job.connection, outcome)
    }
}
