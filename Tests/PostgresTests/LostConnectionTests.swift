import Foundation
import Postgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A connection lost the way PostgreSQL loses it on `pg_ctl stop -m immediate`, played by a scripted
/// server on a Unix socket so the timing is exact: the backend sends a WARNING notice and exits
/// between two statements of the client.
struct LostConnectionTests {
    @Test func statementAfterAnImmediateShutdownThrowsConnectionFailedNotAServerError() throws {
        let server = try ScriptedPostgres(statementsBeforeGoodbye: 1)  // the session settings
        defer { server.stop() }
        let connection = try PostgresConnection(url: server.url)
        defer { connection.close() }
        // The backend's last words arrive unread and its socket is gone when the next statement is sent:
        // libpq's write fails and, having read only the notice, it reports that with no SQLSTATE while
        // PQstatus still says CONNECTION_OK.
        server.sayGoodbyeAndClose()
        let error = #expect(throws: PostgresError.self) { try connection.query("SELECT 1") }
        #expect(error?.isConnectionLevel == true, "got \(String(describing: error))")
        #expect(connection.isBroken)
    }

    @Test func transactionWhoseServerVanishedMidwayThrowsConnectionFailed() throws {
        let server = try ScriptedPostgres(statementsBeforeGoodbye: 2)  // the session settings, BEGIN
        defer { server.stop() }
        let connection = try PostgresConnection(url: server.url)
        defer { connection.close() }
        let error = #expect(throws: PostgresError.self) {
            try connection.transaction { tx in
                server.sayGoodbyeAndClose()
                try tx.execute("INSERT INTO appointments DEFAULT VALUES")
            }
        }
        #expect(error?.isConnectionLevel == true, "got \(String(describing: error))")
    }
}

/// Just enough of the PostgreSQL v3 protocol (startup, extended-protocol statements answered with an
/// empty result) to serve one connection, then the goodbye of a backend killed by an immediate shutdown.
private final class ScriptedPostgres: @unchecked Sendable {
    let directory: String
    let url: String
    private let listener: Int32
    private let statementsBeforeGoodbye: Int
    private var client: Int32 = -1
    private let goodbye = DispatchSemaphore(value: 0)
    private let closed = DispatchSemaphore(value: 0)

    /// Listens at once; answers the first `statementsBeforeGoodbye` statements, then waits for `sayGoodbyeAndClose`.
    init(statementsBeforeGoodbye: Int) throws {
        self.statementsBeforeGoodbye = statementsBeforeGoodbye
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgfake-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        url = "postgresql:///fake?host=\(directory)&port=5432&user=fake&sslmode=disable&gssencmode=disable"
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array((directory + "/.s.PGSQL.5432").utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: path.map { UInt8(bitPattern: $0) }.prefix(bytes.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard listener >= 0, bound == 0, listen(listener, 1) == 0 else {
            throw PostgresError.connectionFailed("scripted server could not listen: errno \(errno)")
        }
        Thread.detachNewThread { [self] in serve() }
    }

    /// Sends the notice a backend sends on SIGQUIT and closes its socket; returns once it is closed
    /// (or after 5 s if the script broke off earlier, so a failing test cannot hang).
    func sayGoodbyeAndClose() {
        goodbye.signal()
        _ = closed.wait(timeout: .now() + 5)
    }

    func stop() {
        Glibc.close(listener)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func serve() {
        client = accept(listener, nil, nil)
        guard client >= 0 else { return }
        // StartupMessage: length, protocol 3.0, parameters; no type byte.
        guard let length = readInt32(), readBytes(Int(length) - 4) != nil else { return }
        send(message("R", int32(0)))  // AuthenticationOk
        for (name, value) in [("server_version", "15.18"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"),
                              ("standard_conforming_strings", "on"), ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on")] {
            send(message("S", cString(name) + cString(value)))
        }
        send(message("K", int32(4242) + int32(1)))  // BackendKeyData
        send(message("Z", [UInt8(ascii: "I")]))
        // Each statement: Parse, Bind, Describe, Execute, Sync; answered with an empty result.
        for answered in 0..<statementsBeforeGoodbye {
            while true {
                guard let type = readBytes(1), let length = readInt32(), readBytes(Int(length) - 4) != nil else { return }
                if type == [UInt8(ascii: "S")] { break }
            }
            // After the first statement (the session settings) comes BEGIN: the transaction status is then 'T'.
            let status = UInt8(ascii: answered == 0 ? "I" : "T")
            send(message("1", []) + message("2", []) + message("T", [0, 0]) + message("C", cString("SELECT 0"))
                 + message("Z", [status]))
        }
        goodbye.wait()
        // quickdie() on an immediate shutdown: a WARNING_CLIENT_ONLY notice, SQLSTATE 57P01, then exit.
        send(message("N", [UInt8(ascii: "S")] + cString("WARNING") + [UInt8(ascii: "V")] + cString("WARNING")
                     + [UInt8(ascii: "C")] + cString("57P01")
                     + [UInt8(ascii: "M")] + cString("terminating connection due to immediate shutdown command") + [0]))
        Glibc.close(client)
        closed.signal()
    }

    private func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue!] + int32(Int32(body.count + 4)) + body
    }

    private func int32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    private func cString(_ text: String) -> [UInt8] {
        Array(text.utf8) + [0]
    }

    private func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    private func readBytes(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes[offset...].withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if got <= 0 { return nil }
            offset += got
        }
        return bytes
    }

    private func readInt32() -> Int32? {
        readBytes(4).map { $0.reduce(Int32(0)) { $0 << 8 | Int32($1) } }
    }
}
