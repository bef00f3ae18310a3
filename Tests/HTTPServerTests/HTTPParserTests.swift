import Testing
@testable import HTTPServer

/// What the parser produced, in a comparable form.
enum ParseOutcome: Equatable, CustomStringConvertible {
    case request(method: String, target: String, path: String, query: String, version: HTTPVersion, headers: [String], body: [UInt8])
    case reject(Int)

    var description: String {
        switch self {
        case .request(let method, let target, _, _, _, _, let body): return "request(\(method) \(target) body:\(body.count))"
        case .reject(let status): return "reject(\(status))"
        }
    }

    var status: Int? {
        if case .reject(let status) = self { return status }
        return nil
    }
}

/// Feeds `chunks` one after another and collects every outcome until more data is needed or
/// the parser rejects. Records an issue if the parser stops making progress (a hang).
func drive(_ chunks: [[UInt8]], limits: HTTPParser.Limits = .init(), continues: UnsafeMutablePointer<Int>? = nil) -> [ParseOutcome] {
    var parser = HTTPParser(limits: limits)
    var outcomes: [ParseOutcome] = []
    var steps = 0
    let budget = chunks.reduce(0) { $0 + $1.count } * 4 + 64 * chunks.count + 64
    for chunk in chunks {
        parser.append(chunk)
        loop: while true {
            steps += 1
            if steps > budget {
                Issue.record("parser made no progress")
                return outcomes
            }
            switch parser.next() {
            case .needMoreData:
                break loop
            case .sendContinue:
                continues?.pointee += 1
            case .request(let request):
                outcomes.append(.request(
                    method: request.method, target: request.target, path: request.path, query: request.query,
                    version: request.version, headers: request.headers.map { "\($0.name): \($0.value)" }, body: request.body))
            case .reject(let status, _):
                outcomes.append(.reject(status))
                return outcomes
            }
        }
    }
    return outcomes
}

func drive(_ text: String, limits: HTTPParser.Limits = .init()) -> [ParseOutcome] {
    drive([Array(text.utf8)], limits: limits)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct HTTPParserTests {
    // MARK: - Accepted requests

    @Test func parsesASimpleGetWithHeadersInOrder() {
        let outcomes = drive("GET /doctors?q=a%20b HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\nX-Twice: 1\r\nX-Twice: 2\r\n\r\n")
        #expect(outcomes == [.request(
            method: "GET", target: "/doctors?q=a%20b", path: "/doctors", query: "q=a%20b", version: .http11,
            headers: ["Host: example.com", "Accept: text/html", "X-Twice: 1", "X-Twice: 2"], body: [])])
    }

    @Test func decodesPercentEncodedPathButNotQuery() {
        let outcomes = drive("GET /a%20b/%C3%A9?x=%20 HTTP/1.1\r\nHost: h\r\n\r\n")
        guard case .request(_, _, let path, let query, _, _, _)? = outcomes.first else {
            Issue.record("no request: \(outcomes)")
            return
        }
        #expect(path == "/a b/é")
        #expect(query == "x=%20")
    }

    @Test func trimsOptionalWhitespaceAroundFieldValues() {
        let outcomes = drive("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t value with  spaces \t\r\n\r\n")
        #expect(outcomes.first == .request(method: "GET", target: "/", path: "/", query: "", version: .http11,
                                           headers: ["Host: h", "X-A: value with  spaces"], body: []))
    }

    @Test func http10WithoutHostIsAccepted() {
        let outcomes = drive("GET / HTTP/1.0\r\n\r\n")
        #expect(outcomes == [.request(method: "GET", target: "/", path: "/", query: "", version: .http10, headers: [], body: [])])
    }

    @Test func higherHTTP1MinorVersionIsTreatedAsHTTP11() {
        guard case .request(_, _, _, _, let version, _, _)? = drive("GET / HTTP/1.7\r\nHost: h\r\n\r\n").first else {
            Issue.record("not accepted")
            return
        }
        #expect(version == .http11)
    }

    @Test func readsAContentLengthBody() {
        let outcomes = drive("POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nemail=a&b=c")
        guard case .request(_, _, _, _, _, _, let body)? = outcomes.first else {
            Issue.record("no request")
            return
        }
        #expect(body == bytes("email=a&b=c"))
    }

    @Test func identicalRepeatedContentLengthsAreAccepted() {
        let outcomes = drive("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc")
        #expect(outcomes.count == 1 && outcomes[0].status == nil)
    }

    @Test func decodesChunkedBodyWithExtensionsAndTrailers() {
        let text = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1A\r\n" + String(repeating: "x", count: 26) + "\r\n0\r\nX-Trailer: t\r\n\r\n"
        guard case .request(_, _, _, _, _, _, let body)? = drive(text).first else {
            Issue.record("no request")
            return
        }
        #expect(body == bytes("hello" + String(repeating: "x", count: 26)))
    }

    @Test func transferEncodingIsCaseInsensitive() {
        let outcomes = drive("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n")
        #expect(outcomes.count == 1 && outcomes[0].status == nil)
    }

    @Test func pipelinedRequestsAreYieldedOneAtATimeInOrder() {
        var parser = HTTPParser()
        parser.append(bytes("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\nHost: h\r\n\r\nGET /4"))
        var paths: [String] = []
        while case .request(let request) = parser.next() { paths.append(request.path) }
        #expect(paths == ["/1", "/2", "/3"])
        #expect(parser.bufferedByteCount == 6)
        #expect(parser.phase == .head)
    }

    @Test func ignoresEmptyLinesBeforeTheRequestLine() {
        #expect(drive("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").first?.status == nil)
        #expect(drive(String(repeating: "\r\n", count: 20) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n") == [.reject(400)])
    }

    @Test func acceptsAbsoluteFormAndRoutesOnItsPath() {
        guard case .request(_, _, let path, let query, _, _, _)? = drive("GET http://example.com/a/b?c HTTP/1.1\r\nHost: example.com\r\n\r\n").first else {
            Issue.record("not accepted")
            return
        }
        #expect(path == "/a/b")
        #expect(query == "c")
    }

    @Test func asteriskFormOnlyForOptions() {
        #expect(drive("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").first?.status == nil)
        #expect(drive("GET * HTTP/1.1\r\nHost: h\r\n\r\n") == [.reject(400)])
    }

    @Test func expectContinueIsAnnouncedOnlyWhenTheBodyHasNotArrived() {
        var parser = HTTPParser()
        parser.append(bytes("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
        guard case .sendContinue = parser.next() else {
            Issue.record("no 100-continue")
            return
        }
        guard case .needMoreData = parser.next() else {
            Issue.record("expected to wait for the body")
            return
        }
        #expect(parser.phase == .body)
        parser.append(bytes("ok"))
        guard case .request(let request) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.body == bytes("ok"))

        var eager = HTTPParser()
        eager.append(bytes("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok"))
        guard case .request = eager.next() else {
            Issue.record("body already sent: no 100 Continue expected")
            return
        }
    }

    @Test func reportsPhasesForTimeouts() {
        var parser = HTTPParser()
        #expect(parser.phase == .idle)
        parser.append(bytes("POST / HTTP/1.1\r\n"))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.append(bytes("Host: h\r\nContent-Length: 5\r\n\r\nab"))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.append(bytes("cde"))
        _ = parser.next()
        #expect(parser.phase == .idle)
    }

    // MARK: - Rejections (RFC 9112), connection closed afterwards

    @Test(arguments: [
        ("both Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
        ("differing Content-Length values", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        ("differing Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", 400),
        ("signed Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400),
        ("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n", 400),
        ("empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400),
        ("gzip transfer coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("gzip before chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("chunked in two fields", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        ("tab before colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n  continued\r\n\r\n", 400),
        ("non-token name", "GET / HTTP/1.1\r\nHost: h\r\nX(A): a\r\n\r\n", 400),
        ("empty name", "GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", 400),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{7F}b\r\n\r\n", 400),
        ("bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", 400),
        ("bare LF line ending", "GET / HTTP/1.1\nHost: h\n\n", 400),
        ("missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("invalid Host", "GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n", 400),
        ("lowercase version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        ("HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("fragment in target", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("relative target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("bad percent escape", "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("encoded NUL in path", "GET /a%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("invalid UTF-8 in path", "GET /%FF HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("non-token method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("unknown expectation", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
    ])
    func rejectsMalformedHead(_ name: String, _ text: String, _ status: Int) {
        #expect(drive(text) == [.reject(status)], "\(name)")
    }

    @Test(arguments: [
        ("non-hex size", "zz\r\n"),
        ("empty size", "\r\n"),
        ("size with junk", "5 junk\r\nhello\r\n0\r\n\r\n"),
        ("data longer than size", "3\r\nhello\r\n0\r\n\r\n"),
        ("missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n"),
        ("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
        ("negative size", "-5\r\nhello\r\n0\r\n\r\n"),
        ("overflowing size", "ffffffffffffffffff\r\n"),
        ("control character in extension", "5;a=\u{1}\r\nhello\r\n0\r\n\r\n"),
        ("malformed trailer", "0\r\nbad trailer\r\n\r\n"),
    ])
    func rejectsMalformedChunks(_ name: String, _ chunks: String) {
        let outcomes = drive("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
        #expect(outcomes == [.reject(400)], "\(name)")
    }

    @Test func stopsForeverAfterARejection() {
        var parser = HTTPParser()
        parser.append(bytes("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .reject(400, _) = parser.next() else {
            Issue.record("expected 400")
            return
        }
        guard case .reject(400, _) = parser.next() else {
            Issue.record("a failed parser must never yield the next request")
            return
        }
    }

    // MARK: - Limits

    @Test func requestLineOverLimitIs414EvenBeforeItEnds() {
        let limits = HTTPParser.Limits(maxRequestLineLength: 64)
        #expect(drive("GET /" + String(repeating: "a", count: 100), limits: limits) == [.reject(414)])
        #expect(drive("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits) == [.reject(414)])
        #expect(drive("GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits).first?.status == nil)
    }

    @Test func defaultLimitsMatchTheIssue() {
        let limits = HTTPParser.Limits()
        #expect(limits.maxRequestLineLength == 8192)
        #expect(limits.maxHeaderSectionSize == 32768)
        #expect(limits.maxHeaderCount == 100)
        #expect(limits.maxBodySize == 1_048_576)
    }

    @Test func headerSectionOverLimitIs431() {
        let limits = HTTPParser.Limits(maxHeaderSectionSize: 1024)
        let big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "v", count: 2000) + "\r\n\r\n"
        #expect(drive(big, limits: limits) == [.reject(431)])
        // Unfinished: rejected as soon as the limit is passed, without waiting for the end.
        #expect(drive("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "v", count: 2000), limits: limits) == [.reject(431)])
    }

    @Test func moreThanTheMaximumFieldCountIs431() {
        let limits = HTTPParser.Limits(maxHeaderCount: 10)
        let fields = (0..<11).map { "X-\($0): v\r\n" }.joined()
        #expect(drive("GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n", limits: limits) == [.reject(431)])
        let allowed = (0..<9).map { "X-\($0): v\r\n" }.joined()
        #expect(drive("GET / HTTP/1.1\r\nHost: h\r\n" + allowed + "\r\n", limits: limits).first?.status == nil)
    }

    @Test func declaredBodyOverLimitIs413BeforeAnyBodyByte() {
        let limits = HTTPParser.Limits(maxBodySize: 100)
        #expect(drive("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", limits: limits) == [.reject(413)])
        #expect(drive("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", limits: limits) == [.reject(413)])
    }

    @Test func chunkedBodyOverLimitIs413() {
        let limits = HTTPParser.Limits(maxBodySize: 10)
        let text = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"
        #expect(drive(text, limits: limits) == [.reject(413)])
    }
}
