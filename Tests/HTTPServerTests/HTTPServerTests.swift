#if canImport(Glibc)
import Glibc
#endif
import Testing
import Logging
@testable import HTTPServer

/// Live tests through real sockets on an ephemeral port. Serialized: several measure time.
@Suite(.serialized) struct HTTPServerTests {
    static let get = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"

    @Test func portZeroBindsAFreePortAndReportsIt() throws {
        try withServer { server in
            #expect(server.port > 0 && server.port != 8080)
            let client = try TestClient(port: server.port)
            try client.send(Self.get)
            let response = try #require(client.readResponse())
            #expect(response.status == 200)
            #expect(response.text == "path=/hello")
            #expect(response.headers["Date"] != nil)
            #expect(response.headers["Content-Length"] == "11")
        }
    }

    @Test func servesIPv6Loopback() throws {
        try withServer({ $0.host = "::1" }) { server in
            let client = try TestClient(port: server.port, host: "::1")
            try client.send(Self.get)
            #expect(client.readResponse()?.status == 200)
        }
    }

    @Test func passesRemoteAddressAndBodyToTheHandler() throws {
        try withServer(handler: { request in
            Response(text: "\(request.remoteAddress) \(request.method) \(request.query) \(String(decoding: request.body, as: UTF8.self))")
        }) { server in
            let client = try TestClient(port: server.port)
            try client.send("POST /form?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            #expect(client.readResponse()?.text == "127.0.0.1 POST x=1 hello")
            try client.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            #expect(client.readResponse()?.text == "127.0.0.1 POST  abcde")
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            for index in 0..<50 {
                try client.send("GET /n\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try #require(client.readResponse())
                #expect(response.text == "path=/n\(index)")
                #expect(response.headers["Connection"] == nil)
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow() throws {
        try withServer(handler: { request in
            if request.path == "/slow" { sleepMilliseconds(200) }
            return Response(text: request.path)
        }) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\nHEAD /c HTTP/1.1\r\nHost: t\r\n\r\nGET /d HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(client.readResponse()?.text == "/slow")
            #expect(client.readResponse()?.text == "/b")
            let head = try #require(client.readResponse(isHead: true))
            #expect(head.headers["Content-Length"] == "2")
            #expect(client.readResponse()?.text == "/d")
        }
    }

    @Test func headSendsHeadersWithoutBody() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            try client.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try #require(client.readResponse(isHead: true))
            #expect(response.headers["Content-Length"] == "7")
            // If a body had been sent, it would be read as the next response's status line.
            try client.send(Self.get)
            #expect(client.readResponse()?.text == "path=/hello")
        }
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBodyIsSent() throws {
        try withServer(handler: { Response(body: $0.body) }) { server in
            let client = try TestClient(port: server.port)
            try client.send("PUT /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            let interim = try #require(client.readResponse())
            #expect(interim.status == 100)
            try client.send("data")
            let final = try #require(client.readResponse())
            #expect(final.status == 200)
            #expect(final.text == "data")
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsRequested() throws {
        try withServer { server in
            let plain = try TestClient(port: server.port)
            try plain.send("GET / HTTP/1.0\r\n\r\n")
            #expect(plain.readResponse()?.headers["Connection"] == "close")
            #expect(plain.readsEndOfFile())

            let keepAlive = try TestClient(port: server.port)
            try keepAlive.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(keepAlive.readResponse()?.headers["Connection"] == "keep-alive")
            try keepAlive.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(keepAlive.readResponse()?.text == "path=/again")
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            try client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(client.readResponse()?.headers["Connection"] == "close")
            #expect(client.readsEndOfFile())
        }
    }

    @Test func hundredConcurrentClientsAreAllServed() throws {
        try withServer(handler: { request in
            sleepMilliseconds(5)
            return Response(text: request.path)
        }) { server in
            let clients = try (0..<100).map { _ in try TestClient(port: server.port) }
            for (index, client) in clients.enumerated() {
                try client.send("GET /c\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
            }
            for (index, client) in clients.enumerated() {
                #expect(client.readResponse()?.text == "/c\(index)")
            }
        }
    }

    @Test func halfSentRequestsDoNotDelayAnotherClient() throws {
        try withServer({ $0.workerCount = 2 }) { server in
            let stalled = try (0..<200).map { _ in try TestClient(port: server.port) }
            for client in stalled { try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Le") }
            let halfBodies = try (0..<20).map { _ in try TestClient(port: server.port) }
            for client in halfBodies { try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part") }
            sleepMilliseconds(50)
            let start = monotonicNanoseconds()
            let client = try TestClient(port: server.port)
            try client.send(Self.get)
            #expect(client.readResponse()?.status == 200)
            #expect(elapsedMilliseconds(since: start) < 500)
            // The stalled clients are still there and can finish.
            try stalled[0].send("ngth: 2\r\n\r\nok")
            #expect(stalled[0].readResponse()?.status == 200)
        }
    }

    // MARK: - Limits, each answered while the server keeps serving

    func expectStatus(_ status: Int, for request: String, configure: (inout HTTPServer.Configuration) -> Void = { _ in }) throws {
        try withServer(configure) { server in
            let client = try TestClient(port: server.port)
            try client.send(request)
            let response = try #require(client.readResponse())
            #expect(response.status == status)
            #expect(response.headers["Connection"] == "close")
            #expect(client.readsEndOfFile())
            let next = try TestClient(port: server.port)
            try next.send(Self.get)
            #expect(next.readResponse()?.status == 200)
        }
    }

    @Test func longRequestLineIs414() throws {
        try expectStatus(414, for: "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: t\r\n\r\n")
    }

    @Test func largeHeaderSectionIs431() throws {
        try expectStatus(431, for: "GET / HTTP/1.1\r\nHost: t\r\n" + String(repeating: "X-Fill: " + String(repeating: "v", count: 1000) + "\r\n", count: 40) + "\r\n")
    }

    @Test func tooManyHeaderFieldsIs431() throws {
        try expectStatus(431, for: "GET / HTTP/1.1\r\nHost: t\r\n" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n")
    }

    @Test func declaredOversizedBodyIs413WithoutSendingIt() throws {
        try expectStatus(413, for: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n")
    }

    @Test func malformedRequestIs400AndUnsupportedCodingIs501() throws {
        try expectStatus(400, for: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        try expectStatus(501, for: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n")
    }

    @Test func headerReadTimeoutAnswers408() throws {
        try expectStatus(408, for: "GET / HTTP/1.1\r\nHost: t\r\n", configure: { $0.headerReadTimeout = .milliseconds(200) })
    }

    @Test func bodyReadTimeoutAnswers408() throws {
        try expectStatus(408, for: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", configure: { $0.bodyReadTimeout = .milliseconds(200) })
    }

    @Test func idleKeepAliveConnectionIsClosedAfterItsTimeout() throws {
        try withServer({ $0.keepAliveTimeout = .milliseconds(200) }) { server in
            let client = try TestClient(port: server.port)
            try client.send(Self.get)
            #expect(client.readResponse()?.status == 200)
            let start = monotonicNanoseconds()
            #expect(client.readsEndOfFile())
            #expect(elapsedMilliseconds(since: start) < 2000)
        }
    }

    @Test func connectionsBeyondTheLimitGet503AndClose() throws {
        try withServer({ $0.maxConnections = 2 }) { server in
            let first = try TestClient(port: server.port)
            let second = try TestClient(port: server.port)
            try first.send(Self.get)
            #expect(first.readResponse()?.status == 200)
            try second.send(Self.get)
            #expect(second.readResponse()?.status == 200)
            let third = try TestClient(port: server.port)
            #expect(third.readResponse()?.status == 503)
            #expect(third.readsEndOfFile())
            try first.send(Self.get)
            #expect(first.readResponse()?.status == 200)
        }
    }

    @Test func connectionClosesAfterMaxRequests() throws {
        try withServer({ $0.maxRequestsPerConnection = 3 }) { server in
            let client = try TestClient(port: server.port)
            for _ in 0..<2 {
                try client.send(Self.get)
                #expect(client.readResponse()?.headers["Connection"] == nil)
            }
            try client.send(Self.get)
            #expect(client.readResponse()?.headers["Connection"] == "close")
            #expect(client.readsEndOfFile())
        }
    }

    // MARK: - Failures and logging

    struct SecretError: Error {}

    @Test func throwingHandlerGetsAPlain500AndTheServerKeepsServing() throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        try withServer(logger: logger, handler: { request in
            if request.path == "/boom" { throw SecretError() }
            return Response(text: "fine")
        }) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /boom HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 500)
            #expect(response.text == "Internal Server Error\n")
            try client.send(Self.get)
            #expect(client.readResponse()?.text == "fine")
        }
        #expect(store.messages.contains { $0.0 == .error && $0.1.contains("SecretError") })
    }

    @Test func writesOneAccessLogLinePerRequestWithoutTheQuery() throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        try withServer(logger: logger) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /doctors?token=secret HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(client.readResponse()?.status == 200)
            try client.send(Self.get)
            #expect(client.readResponse()?.status == 200)
        }
        let lines = store.messages.filter { $0.0 == .info && $0.1.hasPrefix("GET ") }.map(\.1)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("GET /doctors 200 13B ") == true)
        #expect(lines.first?.hasSuffix("us") == true)
        #expect(!lines.joined().contains("secret"))
    }

    // MARK: - Shutdown

    @Test func gracefulShutdownFinishesTheRequestInFlight() throws {
        let server = HTTPServer(
            configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0, workerCount: 2), logger: quietLogger()
        ) { _ in
            sleepMilliseconds(300)
            return Response(text: "finished")
        }
        try server.start()
        let port = server.port
        let busy = try TestClient(port: port)
        let idle = try TestClient(port: port)
        try busy.send(Self.get)
        sleepMilliseconds(50)
        server.shutdown()
        server.shutdown()  // idempotent
        #expect(busy.readResponse()?.text == "finished")
        #expect(idle.readsEndOfFile())
        server.waitUntilStopped()
        #expect(throws: SystemCallError.self) { try TestClient(port: port) }
    }

    @Test func shutdownIsBoundedByTheGracePeriod() throws {
        let server = HTTPServer(
            configuration: {
                var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, workerCount: 1)
                configuration.shutdownGracePeriod = .milliseconds(200)
                return configuration
            }(), logger: quietLogger()
        ) { _ in
            sleepMilliseconds(3000)
            return Response()
        }
        try server.start()
        let client = try TestClient(port: server.port)
        try client.send(Self.get)
        sleepMilliseconds(50)
        let start = monotonicNanoseconds()
        server.shutdown()
        server.waitUntilStopped()
        #expect(elapsedMilliseconds(since: start) < 1500)
    }

    @Test func shutdownServesARequestThatArrivesJustAfterItBeganOnAConnectionMadeBefore() throws {
        try withServer({ $0.shutdownRequestGrace = .seconds(2) }) { server in
            let port = server.port
            let silent = try TestClient(port: port)
            let partial = try TestClient(port: port)
            try partial.send("GET /partial HTTP/1.1\r\nHo")
            sleepMilliseconds(50)  // both accepted
            server.shutdown()
            // The listener is closed only once draining has begun: send the rest after that.
            #expect(connectionsAreRefused(port: port))
            try silent.send("GET /late HTTP/1.1\r\nHost: t\r\n\r\n")
            try partial.send("st: t\r\n\r\n")
            let late = try #require(silent.readResponse())
            #expect(late.text == "path=/late")
            #expect(late.headers["Connection"] == "close")
            #expect(silent.readsEndOfFile())
            let completed = try #require(partial.readResponse())
            #expect(completed.text == "path=/partial")
            #expect(completed.headers["Connection"] == "close")
            #expect(partial.readsEndOfFile())
        }
    }

    @Test func shutdownAnswersConnectionsStillWaitingInTheListenBacklog() throws {
        let gate = LogGate(prefix: "- - 400")
        try withServer(logger: gate.logger()) { server in
            // The I/O thread logs the 400 of a rejected request; the gate holds it there, so
            // the next connections complete their handshake but stay in the listen backlog.
            let trigger = try TestClient(port: server.port)
            try trigger.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
            try #require(gate.waitUntilHolding())
            let queued = try (0..<5).map { _ in try TestClient(port: server.port) }
            for (index, client) in queued.enumerated() {
                try client.send("GET /q\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
            }
            server.shutdown()
            gate.open()
            for (index, client) in queued.enumerated() {
                let response = try #require(client.readResponse())
                #expect(response.text == "path=/q\(index)")
                #expect(response.headers["Connection"] == "close")
            }
            #expect(trigger.readResponse()?.status == 400)
        }
    }

    @Test func shutdownClosesIdleKeepAliveAtOnceAndASilentConnectionAfterTheRequestGrace() throws {
        let server = HTTPServer(
            configuration: {
                var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, workerCount: 2)
                configuration.shutdownRequestGrace = .seconds(1)
                configuration.shutdownGracePeriod = .seconds(30)
                return configuration
            }(), logger: quietLogger()
        ) { _ in Response(text: "ok") }
        try server.start()
        defer {
            server.shutdown()
            server.waitUntilStopped()
        }
        let silent = try TestClient(port: server.port)
        let idle = try TestClient(port: server.port)
        try idle.send(Self.get)
        #expect(idle.readResponse()?.status == 200)
        sleepMilliseconds(50)
        let start = monotonicNanoseconds()
        server.shutdown()
        #expect(idle.readsEndOfFile())
        #expect(elapsedMilliseconds(since: start) < 500)
        #expect(silent.readsEndOfFile())
        #expect(elapsedMilliseconds(since: start) >= 900)
        server.waitUntilStopped()
        // Bounded by the request grace, not by the 30 s grace period for requests in flight.
        #expect(elapsedMilliseconds(since: start) < 5000)
    }

    @Test func sigtermStopsAServerThatAskedForSignals() throws {
        let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0, workerCount: 1), logger: quietLogger()) { _ in Response() }
        try server.start()
        server.stopOnSignals()
        sleepMilliseconds(50)
        kill(getpid(), SIGTERM)
        let waiter = ConditionLock()
        var stopped = false
        let thread = spawnThread(name: "waiter") {
            server.waitUntilStopped()
            waiter.withLock { stopped = true }
        }
        pthread_detach(thread)
        for _ in 0..<100 where !waiter.withLock({ stopped }) { sleepMilliseconds(20) }
        #expect(waiter.withLock { stopped })
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        if !waiter.withLock({ stopped }) {
            server.shutdown()
            server.waitUntilStopped()
        }
    }

    @Test func startFailsWhenThePortIsTaken() throws {
        try withServer { server in
            let second = HTTPServer(configuration: .init(host: "127.0.0.1", port: server.port, workerCount: 1), logger: quietLogger()) { _ in Response() }
            #expect(throws: SystemCallError.self) { try second.start() }
        }
    }
}
