import Foundation
import Postgres
import Testing
import TestSupport

struct EmbeddedPostgresTests {
    @Test func clusterIsInitialisedOnceReusedAndStoppedWithoutStrayProcesses() throws {
        let base = NSTemporaryDirectory() + "clinic-portal-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let cluster = EmbeddedPostgres(dataDirectory: base + "/postgres", logger: TestDatabase.logger, durable: false)
        defer {
            cluster.stop()
            try? FileManager.default.removeItem(atPath: base)
        }
        #expect(!cluster.isRunning)
        let url = try cluster.start()
        #expect(cluster.isRunning)
        #expect(url.contains("dbname='clinic'"))
        let pid = try postmasterPID(base + "/postgres")
        do {
            let c = try PostgresConnection(url: url)
            defer { c.close() }
            try c.execute("CREATE TABLE kept (n int)")
            let settings = try #require(c.query("SELECT current_setting('listen_addresses') AS l, current_setting('server_encoding') AS e").first)
            #expect(try settings.decode("l", as: String.self) == "")
            #expect(try settings.decode("e", as: String.self) == "UTF8")
        }
        // Starting again while it runs reuses the same server.
        #expect(try cluster.start() == url)
        #expect(try postmasterPID(base + "/postgres") == pid)

        cluster.stop()
        #expect(!cluster.isRunning)
        #expect(kill(pid, 0) != 0, "the postmaster was reaped, not left as a zombie")
        #expect(processesMentioning(base).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: base + "/postgres/postmaster.pid"))
        cluster.stop() // idempotent

        // A second start reuses the data without initialising again.
        let again = try cluster.start()
        let c = try PostgresConnection(url: again)
        defer { c.close() }
        #expect(try c.query("SELECT 1 FROM pg_tables WHERE tablename = 'kept'").count == 1)
    }

    /// Live processes whose command line mentions `text` (the postmaster names its data directory).
    private func processesMentioning(_ text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? commandLine : nil
        }
    }

    private func postmasterPID(_ dataDirectory: String) throws -> pid_t {
        let text = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        return try #require(text.split(separator: "\n").first.flatMap { pid_t($0) })
    }
}
