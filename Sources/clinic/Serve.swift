import ArgumentParser
import Foundation
import HTTPServer
import Logging
import Passwords
import Postgres
import Scheduling
import Storage
import Views
import Web

/// `clinic serve`: migrate, then serve the portal until SIGTERM/SIGINT.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the portal (migrates the database first).")

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (env HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (env PORT, default 8080).") var port: Int?
    @Option(help: "Worker threads that run requests (env WORKERS, default 16 × cores, at least 64).") var workers: Int?
    @Option(help: "Directory of Mustache templates.") var templates = "Templates"
    @Option(help: "Directory of static files.") var publicDirectory = "Public"
    @Flag(help: "Load demo data when the database has no accounts yet, and print the demo sign-ins.") var seedDemo = false
    @Flag(help: "Behind a TLS proxy: Secure, __Host- cookies (env SECURE_COOKIES=1).") var secureCookies = false
    @Flag(help: "Re-read templates when they change (development).") var reloadTemplates = false
    @Flag(help: "Behind a reverse proxy: take the client address from X-Forwarded-For (env TRUST_PROXY=1).") var trustProxy = false

    func run() throws {
        // Line-buffered even when redirected, so the demo sign-ins and the URL show at once in logs.
        setvbuf(stdout, nil, _IOLBF, 0)
        let environment = ProcessInfo.processInfo.environment
        let logger = common.makeLogger("clinic")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Threads waiting for a password hash cost memory, not CPU, so there are many workers: sign-ins may
        // hold all but `pageReserve` of them (PasswordHasher's waiting limit), and page views keep the rest.
        let workerCount = workers ?? environment["WORKERS"].flatMap(Int.init) ?? max(64, 16 * cores)
        let pageReserve = max(2, min(workerCount / 2, 4 * cores))
        let hashSlots = max(1, cores - 1)
        let (url, cluster) = try common.openDatabase(logger: logger)
        defer { cluster?.stop() }
        let pool = PostgresPool(url: url, size: workerCount + 1, logger: logger)
        defer { pool.close() }
        try Migrator(directory: common.migrationsDirectory, logger: logger).migrate(pool)

        if seedDemo {
            let empty = try pool.withConnection { db in try db.query("SELECT 1 AS x FROM users LIMIT 1").isEmpty }
            let password = try DemoData.password(explicit: nil, dataDirectory: common.resolvedDataDirectory)
            if empty { try DemoData.seed(password: password, pool: pool) }
            DemoData.printLogins(password: password)
        }

        // Hashing runs in a helper process of the lowest priority (see HashingProcess for why not threads here).
        let helper = HashingProcess(executable: "/proc/self/exe",
                                    arguments: ["hash-helper", "--threads", "\(hashSlots)", "--parent", "\(getpid())"],
                                    threads: hashSlots, onProblem: { logger.warning("\($0)") })
        let hasher = PasswordHasher(maxConcurrentHashes: hashSlots, maxWaiting: max(0, workerCount - pageReserve - hashSlots),
                                    helper: helper)
        let app = try App(
            settings: App.Settings(secureCookies: secureCookies || environment["SECURE_COOKIES"] == "1",
                                   trustProxy: trustProxy || environment["TRUST_PROXY"] == "1"),
            database: pool, hasher: hasher, clock: SystemClock(),
            renderer: TemplateRenderer(directory: templates, reloadOnChange: reloadTemplates),
            catalog: MessageCatalog(directory: templates + "/i18n"),
            staticFiles: StaticFiles(root: publicDirectory), logger: logger)

        var configuration = HTTPServer.Configuration()
        configuration.host = host ?? environment["HOST"] ?? "127.0.0.1"
        configuration.port = port ?? environment["PORT"].flatMap(Int.init) ?? 8080
        configuration.workerCount = workerCount
        let server = HTTPServer(configuration: configuration, logger: logger, handler: { app.handle($0) })
        try server.start()
        server.stopOnSignals()
        let sealer = AuditSealer(pool: pool, logger: logger)
        sealer.start()
        print("Clinic Portal listening on http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(server.port)")
        server.waitUntilStopped()
        sealer.stop()
        logger.info("stopped")
    }
}

/// Seals new audit entries every couple of seconds in the background (see `AuditStore`).
final class AuditSealer: @unchecked Sendable {
    private let pool: PostgresPool
    private let logger: Logger
    private let stopped = NSCondition()
    private var isStopped = false
    private var thread: Thread?

    init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            stopped.lock()
            while !isStopped {
                stopped.unlock()
                do { try AuditStore().seal(pool: pool) } catch { logger.warning("audit sealing failed", metadata: ["error": "\(error)"]) }
                stopped.lock()
                _ = stopped.wait(until: Date().addingTimeInterval(2))
            }
            stopped.unlock()
        }
        thread.name = "audit-sealer"
        self.thread = thread
        thread.start()
    }

    func stop() {
        stopped.lock()
        isStopped = true
        stopped.signal()
        stopped.unlock()
    }
}
