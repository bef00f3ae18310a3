import CLinux
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the embedded cluster could not be started.
public enum EmbeddedPostgresError: Error, CustomStringConvertible, LocalizedError {
    /// No PostgreSQL server binaries (`initdb`, `pg_ctl`) were found.
    case binariesNotFound
    /// Running as root needs an unprivileged account to own the cluster, and it does not exist.
    case clusterUserMissing(String)
    /// `runuser` is needed to run the cluster as the unprivileged user but was not found.
    case runuserNotFound
    /// A directory could not be prepared.
    case directory(String)
    /// A PostgreSQL tool exited with a failure status.
    case commandFailed(command: String, status: Int32, output: String)

    /// A message that names the cause and, where there is one, the fix.
    public var description: String {
        switch self {
        case .binariesNotFound:
            return "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin, `pg_config --bindir` or PATH; install the postgresql package or set DATABASE_URL."
        case .clusterUserMissing(let user):
            return "Running as root, the embedded cluster must run as the unprivileged user '\(user)', which does not exist; install the postgresql package or run as an ordinary user."
        case .runuserNotFound:
            return "Running as root needs `runuser` (util-linux) to start PostgreSQL as an unprivileged user."
        case .directory(let message):
            return message
        case .commandFailed(let command, let status, let output):
            return "\(command) failed with status \(status): \(output.trimmingCharacters(in: .whitespacesAndNewlines).suffix(2000))"
        }
    }

    /// Same as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}

/// A private PostgreSQL cluster for development and tests, reachable only over a Unix socket.
///
/// `dataDirectory` (for example `.data/postgres`) is initialised on first use and reused
/// afterwards; the socket lives in a sibling `run` directory. As root the cluster is owned and
/// run by the unprivileged `postgres` account (initdb refuses root), through `runuser`.
///
/// When that account cannot reach the requested directory (a repository under `/root`, mode
/// 700), the cluster lives in `/var/tmp/clinic-portal-<hash of the absolute path>/` instead and
/// `dataDirectory` becomes a symbolic link to it, which records the choice for the next start.
/// A socket path longer than the kernel's limit moves the socket there as well. The server log
/// is `postgres.log` inside the data directory.
public final class EmbeddedPostgres: @unchecked Sendable {
    /// Where the cluster's files and socket are.
    private struct Layout {
        let dataDirectory: String
        let socketDirectory: String
    }

    private let requestedDirectory: String
    private let logger: Logger
    private let durable: Bool
    private let settings: [String: String]
    private let lock = NSLock()
    private var layout: Layout?

    /// The port number names the socket file (`.s.PGSQL.5432`); with no TCP listener it is never bound.
    private static let port = 5432
    /// The superuser role created by initdb, used by every connection to the cluster.
    private static let superuser = "postgres"
    /// The unprivileged OS account that owns the cluster when this process runs as root.
    private static let clusterAccount = "postgres"

    /// Describes a cluster in `dataDirectory` (relative paths are resolved against the current directory).
    ///
    /// `durable: false` turns off fsync and synchronous commit, for throwaway test clusters only;
    /// `settings` are extra `postgresql.conf` parameters (for example `max_connections`).
    public init(dataDirectory: String, logger: Logger, durable: Bool = true, settings: [String: String] = [:]) {
        self.requestedDirectory = Self.absolute(dataDirectory)
        self.logger = logger
        self.durable = durable
        self.settings = settings
    }

    /// Initialises the cluster if needed, starts it unless it is already running, and returns a
    /// conninfo string for the database `clinic` (created if missing) over the Unix socket.
    ///
    /// A cluster left running by a crashed process is reused; a stale `postmaster.pid` is handled
    /// by `pg_ctl`. Throws `EmbeddedPostgresError` or `PostgresError` with the reason.
    @discardableResult
    public func start() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let tools = try Tools.locate()
        let layout = try resolveLayout(tools)
        self.layout = layout
        try prepareDirectories(layout, tools)
        if !FileManager.default.fileExists(atPath: layout.dataDirectory + "/PG_VERSION") {
            try initialise(layout, tools)
        }
        try writeSettings(layout)
        if Self.postmasterPID(layout.dataDirectory) != nil {
            logger.info("reusing running embedded PostgreSQL", metadata: ["data": "\(layout.dataDirectory)"])
        } else {
            logger.info("starting embedded PostgreSQL", metadata: ["data": "\(layout.dataDirectory)"])
            Self.reapDeadServer(layout.dataDirectory)
            Self.adoptOrphanedServer()
            let logFile = layout.dataDirectory + "/postgres.log"
            let (status, output) = try tools.run(tools.pgCtl, ["start", "-w", "-t", "60", "-s", "-D", layout.dataDirectory, "-l", logFile])
            guard status == 0 else {
                let log = (try? String(contentsOfFile: logFile, encoding: .utf8)).map { String($0.suffix(1500)) } ?? ""
                throw EmbeddedPostgresError.commandFailed(command: "pg_ctl start", status: status, output: output + "\n" + log)
            }
        }
        try ensureDatabase("clinic", layout)
        return connectionString(database: "clinic", layout)
    }

    /// Stops the cluster with a fast shutdown (what `pg_ctl stop -m fast` does: SIGINT to the
    /// postmaster) and waits until it and its children are gone. Does nothing when it is not running.
    ///
    /// Signals rather than `pg_ctl` so that it also works from an `atexit` handler.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard let dataDirectory = layout?.dataDirectory ?? (try? resolvedDataDirectory()),
              let pid = Self.postmasterPID(dataDirectory) else { return }
        logger.info("stopping embedded PostgreSQL", metadata: ["pid": "\(pid)"])
        kill(pid, SIGINT)
        var waited = 0.0
        var escalated = false
        // The pid file disappears a moment before the process does; wait for the process itself.
        while Self.processIsAlive(pid) {
            if waited >= 30 && !escalated {
                logger.warning("embedded PostgreSQL did not stop in 30 s; sending immediate shutdown")
                kill(pid, SIGQUIT)
                escalated = true
            }
            if waited >= 60 { break }
            usleep(20_000)
            waited += 0.02
        }
        // Reap it if it is our child (see `adoptOrphanedServer`); otherwise this fails harmlessly with ECHILD.
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// Reaps a crashed postmaster that was our child: while it is a zombie its pid still "exists",
    /// and a new postmaster would refuse to start over its `postmaster.pid`.
    private static func reapDeadServer(_ dataDirectory: String) {
        guard let text = postmasterFileLine(dataDirectory, 1), let pid = pid_t(text), pid > 0 else { return }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// Makes this process the "child subreaper" (Linux `PR_SET_CHILD_SUBREAPER`), so the postmaster
    /// that `pg_ctl` leaves behind becomes our child and `stop()` can reap it. Otherwise it is
    /// re-parented to PID 1, and in containers whose init never reaps (CI) every stopped server
    /// would linger as a `<defunct> postgres` zombie.
    private static func adoptOrphanedServer() {
        #if os(Linux)
        // prctl is variadic and so not imported; every argument here is a machine word.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
        let setChildSubreaper: Int32 = 36
        _ = unsafeBitCast(symbol, to: Prctl.self)(setChildSubreaper, 1, 0, 0, 0)
        #endif
    }

    /// Whether a postmaster is running on this data directory.
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let dataDirectory = layout?.dataDirectory ?? (try? resolvedDataDirectory()) else { return false }
        return Self.postmasterPID(dataDirectory) != nil
    }

    /// A conninfo string for another database of the running cluster (for example `postgres` for
    /// administration); `nil` before `start()`.
    public func connectionString(database: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return layout.map { connectionString(database: database, $0) }
    }

    // MARK: - Layout

    private func resolvedDataDirectory() throws -> String {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: requestedDirectory) {
            return Self.absolute(target, relativeTo: Self.parent(of: requestedDirectory))
        }
        return requestedDirectory
    }

    private func resolveLayout(_ tools: Tools) throws -> Layout {
        let fileManager = FileManager.default
        let fallbackBase = "/var/tmp/clinic-portal-\(Self.shortHash(requestedDirectory))"
        var dataDirectory = try resolvedDataDirectory()
        if dataDirectory == requestedDirectory {
            let parent = Self.parent(of: requestedDirectory)
            try Self.makeDirectory(parent, mode: 0o755, intermediate: true)
            if tools.runAsAccount != nil, !tools.accountCanSearch(parent) {
                let existing = (try? fileManager.contentsOfDirectory(atPath: requestedDirectory)) ?? []
                guard existing.isEmpty else {
                    throw EmbeddedPostgresError.directory("\(requestedDirectory) is not reachable by the '\(Self.clusterAccount)' account; move it or make its parents searchable (chmod o+x)")
                }
                try? fileManager.removeItem(atPath: requestedDirectory)
                try Self.makeDirectory(fallbackBase, mode: 0o755, intermediate: true)
                dataDirectory = fallbackBase + "/postgres"
                do {
                    try fileManager.createSymbolicLink(atPath: requestedDirectory, withDestinationPath: dataDirectory)
                } catch {
                    throw EmbeddedPostgresError.directory("cannot create symbolic link \(requestedDirectory) → \(dataDirectory): \(error)")
                }
                logger.notice("data directory not reachable by the postgres account; cluster lives in \(fallbackBase), linked from \(requestedDirectory)")
            }
        }
        var socketDirectory = Self.parent(of: dataDirectory) + "/run"
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
        if (socketDirectory + "/.s.PGSQL.\(Self.port)").utf8.count > 100 {
            try Self.makeDirectory(fallbackBase, mode: 0o755, intermediate: true)
            socketDirectory = fallbackBase + "/run"
        }
        return Layout(dataDirectory: dataDirectory, socketDirectory: socketDirectory)
    }

    private func prepareDirectories(_ layout: Layout, _ tools: Tools) throws {
        for directory in [layout.dataDirectory, layout.socketDirectory] {
            if !FileManager.default.fileExists(atPath: directory) {
                try Self.makeDirectory(directory, mode: 0o700, intermediate: true)
            }
            if let account = tools.runAsAccount, !FileManager.default.fileExists(atPath: directory + "/PG_VERSION") {
                guard chown(directory, account.uid, account.gid) == 0 else {
                    throw EmbeddedPostgresError.directory("cannot give \(directory) to the '\(Self.clusterAccount)' account: \(String(cString: strerror(errno)))")
                }
            }
        }
    }

    private func initialise(_ layout: Layout, _ tools: Tools) throws {
        logger.info("initialising embedded PostgreSQL cluster", metadata: ["data": "\(layout.dataDirectory)"])
        var arguments = ["-D", layout.dataDirectory, "-U", Self.superuser, "-E", "UTF8", "--locale=C",
                         "--auth-local=trust", "--auth-host=reject"]
        if !durable { arguments.append("--no-sync") }
        let (status, output) = try tools.run(tools.initdb, arguments)
        guard status == 0 else { throw EmbeddedPostgresError.commandFailed(command: "initdb", status: status, output: output) }
        // Our settings live in a file rewritten at every start, so a moved checkout gets its new socket path.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: layout.dataDirectory + "/postgresql.conf"))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data("\n# Added by clinic-portal's EmbeddedPostgres.\ninclude_if_exists = 'clinic_portal.conf'\n".utf8))
    }

    private func writeSettings(_ layout: Layout) throws {
        var values: [(String, String)] = [
            ("listen_addresses", ""),
            ("unix_socket_directories", layout.socketDirectory),
            ("port", String(Self.port)),
        ]
        if !durable {
            values += [("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off")]
        }
        values += settings.sorted { $0.key < $1.key }
        let text = values.map { "\($0.0) = '\($0.1.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: "\n") + "\n"
        let path = layout.dataDirectory + "/clinic_portal.conf"
        do {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw EmbeddedPostgresError.directory("cannot write \(path): \(error)")
        }
    }

    private func ensureDatabase(_ name: String, _ layout: Layout) throws {
        let connection = try PostgresConnection(url: connectionString(database: "postgres", layout))
        defer { connection.close() }
        if try connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)").isEmpty {
            do {
                try connection.execute(.unsafeRaw("CREATE DATABASE \(Self.quoteIdentifier(name))"))
            } catch PostgresError.server(let sqlstate, _) where sqlstate == "42P04" {
                // Another process created it between the check and the CREATE.
            }
        }
    }

    private func connectionString(database: String, _ layout: Layout) -> String {
        // The running server's pid file names the socket directory it really uses.
        let socketDirectory = Self.postmasterFileLine(layout.dataDirectory, 5) ?? layout.socketDirectory
        let port = Self.postmasterFileLine(layout.dataDirectory, 4) ?? String(Self.port)
        return ConnectionString.conninfo(["host": socketDirectory, "port": port, "user": Self.superuser, "dbname": database])
    }

    // MARK: - Helpers

    /// The postmaster's pid when one is alive for `dataDirectory` (a zombie or a stale file does not count).
    private static func postmasterPID(_ dataDirectory: String) -> pid_t? {
        guard let text = postmasterFileLine(dataDirectory, 1), let pid = pid_t(text), pid > 0, processIsAlive(pid) else { return nil }
        return pid
    }

    /// Whether `pid` is a running process; an exited one that nobody reaped yet (zombie) is not.
    static func processIsAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"),
           stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") {
            return false
        }
        return true
    }

    /// Line `number` (1-based) of `postmaster.pid`: 1 pid, 4 port, 5 socket directory.
    private static func postmasterFileLine(_ dataDirectory: String, _ number: Int) -> String? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= number else { return nil }
        let line = lines[number - 1].trimmingCharacters(in: .whitespaces)
        return line.isEmpty ? nil : line
    }

    private static func makeDirectory(_ path: String, mode: Int, intermediate: Bool) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: intermediate, attributes: [.posixPermissions: mode])
        } catch {
            throw EmbeddedPostgresError.directory("cannot create \(path): \(error)")
        }
    }

    private static func absolute(_ path: String, relativeTo base: String = FileManager.default.currentDirectoryPath) -> String {
        let full = path.hasPrefix("/") ? path : base + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    private static func parent(of path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// First 12 hex digits of the 64-bit FNV-1a hash: stable across runs, and no crypto dependency for a directory name.
    private static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(String(hash, radix: 16).prefix(12))
    }

    /// Double-quotes an SQL identifier (the database name in CREATE DATABASE cannot be a parameter).
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The PostgreSQL binaries and how to run them (directly, or through `runuser` when root).
private struct Tools {
    struct Account {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    let initdb: String
    let pgCtl: String
    let runuser: String?
    let runAsAccount: Account?

    /// Finds the binaries and, when running as root, the account and `runuser` to run them with.
    static func locate() throws -> Tools {
        guard let binDirectory = findBinDirectory() else { throw EmbeddedPostgresError.binariesNotFound }
        var account: Account?
        var runuser: String?
        if geteuid() == 0 {
            guard let entry = getpwnam("postgres") else { throw EmbeddedPostgresError.clusterUserMissing("postgres") }
            account = Account(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
            runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard runuser != nil else { throw EmbeddedPostgresError.runuserNotFound }
        }
        return Tools(initdb: binDirectory + "/initdb", pgCtl: binDirectory + "/pg_ctl", runuser: runuser, runAsAccount: account)
    }

    /// Debian/Ubuntu keep server binaries off PATH in /usr/lib/postgresql/<major>/bin; prefer the newest.
    private static func findBinDirectory() -> String? {
        func usable(_ directory: String) -> Bool {
            FileManager.default.isExecutableFile(atPath: directory + "/initdb") && FileManager.default.isExecutableFile(atPath: directory + "/pg_ctl")
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
        if let version = versions.first(where: { usable("\(root)/\($0)/bin") }) { return "\(root)/\(version)/bin" }
        if let output = try? runProcess("/usr/bin/env", ["pg_config", "--bindir"]), output.status == 0 {
            let directory = output.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if usable(directory) { return directory }
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map(String.init).first(where: usable)
    }

    /// Whether the cluster account can search `directory` (and so reach everything under it).
    func accountCanSearch(_ directory: String) -> Bool {
        guard let status = try? run("/usr/bin/test", ["-x", directory]).status else { return false }
        return status == 0
    }

    /// Runs a tool as the cluster account; returns its exit status and combined output.
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        if let runuser, let account = runAsAccount {
            return try runProcess(runuser, ["-u", account.name, "--", tool] + arguments)
        }
        return try runProcess(tool, arguments)
    }
}

/// Runs a process to completion with its output captured in a temporary file.
///
/// `posix_spawn` + `waitpid` rather than Foundation's `Process`: `pg_ctl start` leaves a daemon
/// behind, and `Process` learns of its child's exit through a descriptor the daemon inherits,
/// so it would wait for the server to stop. Output goes to a file, not a pipe, for the same
/// reason; descriptors above 2 are closed so the daemon holds nothing of ours.
private func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let outputPath = NSTemporaryDirectory() + "clinic-portal-\(UUID().uuidString).out"
    defer { try? FileManager.default.removeItem(atPath: outputPath) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // glibc ≥ 2.29, not imported by the Swift Glibc module; looked up at run time.
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    // The cluster account may not be able to enter our working directory (for example /root).
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") {
        _ = unsafeBitCast(symbol, to: ChangeDirectory.self)(&actions, "/")
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Start from a clean slate: a server that ignores SIGPIPE or blocks signals must not pass that on, and the
    // daemon pg_ctl leaves behind holds none of our descriptors.
    clinic_spawn_clean(&actions, &attributes, 0)

    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = "C"
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else {
        throw EmbeddedPostgresError.commandFailed(command: executable, status: -1, output: String(cString: strerror(spawned)))
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { break }
    }
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    // WIFEXITED / WEXITSTATUS by hand: the macros are not imported into Swift.
    let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, output)
}
