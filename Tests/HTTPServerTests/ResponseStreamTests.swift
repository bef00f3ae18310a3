#if canImport(Glibc)
import Glibc
#endif
import Testing
import Logging
@testable import HTTPServer

/// Streamed response bodies: chunked for HTTP/1.1, close-delimited for HTTP/1.0, bounded memory.
@Suite(.serialized) struct ResponseStreamTests {
    /// Bytes as they arrive on a raw socket, for checking framing exactly.
    final class RawReader {
        let client: TestClient
        var buffer: [UInt8] = []
        init(_ client: TestClient) { self.client = client }

        /// Reads more; false on EOF, error or timeout.
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }

        /// Reads until EOF (or timeout) and returns everything.
        func readToEnd() -> [UInt8] {
            while fill() {}
            return buffer
        }

        /// The head as text and its end offset, reading until it is complete.
        func head() -> (text: String, end: Int)? {
            while true {
                if buffer.count >= 4 {
                    for index in 0...(buffer.count - 4)
                    where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                        return (String(decoding: buffer[0..<index], as: UTF8.self), index + 4)
                    }
                }
                guard fill() else { return nil }
            }
        }

        /// Decodes a chunked body starting at `offset`; nil when the stream ends before the last chunk.
        /// Consumes the body from the buffer so a following response can be read.
        func chunkedBody(from offset: Int) -> [UInt8]? {
            var position = offset
            var body: [UInt8] = []
            func line() -> String? {
                while true {
                    if let end = (position..<max(position, buffer.count - 1)).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                        let text = String(decoding: buffer[position..<end], as: UTF8.self)
                        position = end + 2
                        return text
                    }
                    guard fill() else { return nil }
                }
            }
            while true {
                guard let sizeLine = line(), let size = Int(sizeLine, radix: 16) else { return nil }
                if size == 0 {
                    guard line() == "" else { return nil }
                    buffer.removeFirst(position)
                    return body
                }
                while buffer.count < position + size + 2 { guard fill() else { return nil } }
                body.append(contentsOf: buffer[position..<(position + size)])
                guard buffer[position + size] == 13, buffer[position + size + 1] == 10 else { return nil }
                position += size + 2
            }
        }
    }

    /// Thread-safe flags the handler's producer sets, for the test to read.
    final class Probe: @unchecked Sendable {
        private let lock = ConditionLock()
        private var runs = 0
        private var failure: String?
        func ran() { lock.withLock { runs += 1 } }
        func failed(_ text: String) { lock.withLock { failure = text } }
        var runCount: Int { lock.withLock { runs } }
        var failureText: String? { lock.withLock { failure } }
    }

    static func pieces(_ texts: [String], probe: Probe? = nil) -> Handler {
        { _ in
            Response(headers: ["Content-Type": "text/csv", "Content-Length": "999"]) { write in
                probe?.ran()
                for text in texts { try write(Array(text.utf8)) }
            }
        }
    }

    @Test func anHTTP11StreamIsChunkedAndTheConnectionStaysUsable() throws {
        try withServer(handler: Self.pieces(["a,b\r\n", "", "1,\"x\"\r\n", "2,y\r\n"])) { server in
            let client = try TestClient(port: server.port)
            let reader = RawReader(client)
            for _ in 0..<2 {
                try client.send("GET /export HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try #require(reader.head())
                #expect(head.text.hasPrefix("HTTP/1.1 200 OK"))
                #expect(head.text.contains("Transfer-Encoding: chunked"))
                #expect(!head.text.lowercased().contains("content-length"))
                #expect(!head.text.contains("Connection: close"))
                let body = try #require(reader.chunkedBody(from: head.end))
                #expect(String(decoding: body, as: UTF8.self) == "a,b\r\n1,\"x\"\r\n2,y\r\n")
            }
        }
    }

    @Test func anHTTP10StreamIsDelimitedByClosingTheConnection() throws {
        try withServer(handler: Self.pieces(["one\n", "two\n"])) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /export HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let all = String(decoding: RawReader(client).readToEnd(), as: UTF8.self)
            #expect(all.hasPrefix("HTTP/1.1 200 OK"))
            #expect(all.contains("Connection: close"))
            #expect(!all.contains("Transfer-Encoding"))
            #expect(!all.lowercased().contains("content-length"))
            #expect(all.hasSuffix("\r\n\r\none\ntwo\n"))
        }
    }

    @Test func aHeadRequestGetsTheHeadAndTheProducerNeverRuns() throws {
        let probe = Probe()
        try withServer(handler: Self.pieces(["data"], probe: probe)) { server in
            let client = try TestClient(port: server.port)
            try client.send("HEAD /export HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try #require(client.readResponse(isHead: true))
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            // The connection is still usable: the next response follows directly.
            try client.send("HEAD /export HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(client.readResponse(isHead: true)?.status == 200)
        }
        #expect(probe.runCount == 0)
    }

    @Test func anEmptyStreamEndsWithTheLastChunkOnly() throws {
        try withServer(handler: Self.pieces([])) { server in
            let client = try TestClient(port: server.port)
            let reader = RawReader(client)
            try client.send("GET /export HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try #require(reader.head())
            #expect(reader.chunkedBody(from: head.end) == [])
        }
    }

    @Test func aLargeBodyArrivesWholeToASlowReader() throws {
        let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let count = 160  // 10 MiB: far beyond any socket buffer, so the worker must wait for room
        try withServer(handler: { _ in
            Response { write in
                for index in 0..<count {
                    var bytes = piece
                    bytes[0] = UInt8(index % 256)
                    try write(bytes)
                }
            }
        }) { server in
            let client = try TestClient(port: server.port, timeoutSeconds: 10)
            let reader = RawReader(client)
            try client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try #require(reader.head())
            sleepMilliseconds(300)  // let the server fill the socket buffers and block
            let body = try #require(reader.chunkedBody(from: head.end))
            #expect(body.count == count * piece.count)
            #expect(body[piece.count * 7] == 7)
        }
    }

    @Test func aProducerFailingBeforeAnyOutputGetsAPlain500() throws {
        struct Boom: Error {}
        try withServer(handler: { _ in Response { _ in throw Boom() } }) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 500)
            #expect(client.readsEndOfFile())
        }
    }

    @Test func aProducerFailingMidwayLeavesTheBodyVisiblyIncomplete() throws {
        struct Boom: Error {}
        try withServer(handler: { _ in
            Response { write in
                try write(Array("partial".utf8))
                throw Boom()
            }
        }) { server in
            let client = try TestClient(port: server.port)
            let reader = RawReader(client)
            try client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try #require(reader.head())
            #expect(head.text.hasPrefix("HTTP/1.1 200"))
            #expect(reader.chunkedBody(from: head.end) == nil)  // no last chunk: the client knows
        }
    }

    @Test func aClientThatDisconnectsStopsTheProducer() throws {
        let probe = Probe()
        try withServer(handler: { _ in
            Response { write in
                let piece = [UInt8](repeating: 0x41, count: 64 * 1024)
                do {
                    for _ in 0..<100_000 { try write(piece) }
                } catch let error as StreamWriteError {
                    probe.failed(error.reason)
                    throw error
                }
            }
        }) { server in
            do {
                let client = try TestClient(port: server.port)
                try client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
                let reader = RawReader(client)
                _ = reader.head()
            }  // the client closes here, having read almost nothing
            let start = monotonicNanoseconds()
            while probe.failureText == nil && elapsedMilliseconds(since: start) < 5000 { sleepMilliseconds(20) }
            #expect(probe.failureText != nil)
            // The server is still serving.
            let next = try TestClient(port: server.port)
            try next.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(next.readResponse(isHead: true)?.status == 200)
        }
    }

    @Test func theSerializerReplacesAHandlersLengthWithChunkedFraming() {
        let response = Response(headers: ["Content-Length": "5", "Transfer-Encoding": "gzip"]) { _ in }
        let (head, body) = ResponseSerializer.serialize(response, context: .init(), date: Array("now".utf8))
        let text = String(decoding: head, as: UTF8.self)
        #expect(text.contains("Transfer-Encoding: chunked\r\n"))
        #expect(!text.contains("gzip"))
        #expect(!text.contains("Content-Length"))
        #expect(body.isEmpty)
    }

    @Test func chunksAreFramedWithAHexSize() {
        var out: [UInt8] = []
        StreamSender.appendChunk(Array(repeating: 0x61, count: 26), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1a\r\n" + String(repeating: "a", count: 26) + "\r\n")
    }
}
