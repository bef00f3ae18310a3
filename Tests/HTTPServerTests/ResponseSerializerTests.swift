import Testing
@testable import HTTPServer

@Suite struct ResponseSerializerTests {
    let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

    func text(_ response: Response, _ context: ResponseSerializer.Context = .init()) -> (String, [UInt8]) {
        let (head, body) = ResponseSerializer.serialize(response, context: context, date: date)
        return (String(decoding: head, as: UTF8.self), body)
    }

    @Test func addsDateAndContentLengthAndReplacesFramingFields() {
        let response = Response(status: 200, headers: [
            "Content-Type": "text/plain", "Content-Length": "999", "Transfer-Encoding": "chunked", "Connection": "upgrade",
        ], body: Array("hello".utf8))
        let (head, body) = text(response)
        #expect(head == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 5\r\n\r\n")
        #expect(body == Array("hello".utf8))
    }

    @Test func headKeepsTheLengthButSendsNoBody() {
        let (head, body) = text(Response(body: Array("hello".utf8)), .init(isHead: true))
        #expect(head.contains("Content-Length: 5\r\n"))
        #expect(body.isEmpty)
    }

    @Test func noContentAndNotModifiedHaveNoBody() {
        let (noContent, noContentBody) = text(Response(status: 204, body: Array("x".utf8)))
        #expect(!noContent.contains("Content-Length"))
        #expect(noContentBody.isEmpty)
        let (_, notModifiedBody) = text(Response(status: 304, body: Array("x".utf8)))
        #expect(notModifiedBody.isEmpty)
    }

    @Test func connectionHeaderReflectsPersistence() {
        #expect(text(Response(), .init(keepAlive: false)).0.contains("Connection: close\r\n"))
        #expect(text(Response(), .init(version: .http10, keepAlive: true)).0.contains("Connection: keep-alive\r\n"))
        #expect(!text(Response(), .init(version: .http11, keepAlive: true)).0.contains("Connection:"))
    }

    @Test func dropsFieldsThatCouldSplitTheResponse() {
        let (head, _) = text(Response(headers: [("Location", "/a\r\nSet-Cookie: evil=1"), ("Bad Name", "x"), ("X-Ok", "fine")].reduce(into: HTTPHeaders()) { $0.add($1.0, $1.1) }))
        #expect(!head.contains("evil"))
        #expect(!head.contains("Bad Name"))
        #expect(head.contains("X-Ok: fine\r\n"))
    }

    @Test func keepsAHandlerDateAndUsesGenericReasonForUnknownStatus() {
        let (head, _) = text(Response(status: 299, headers: ["Date": "custom"]))
        #expect(head.hasPrefix("HTTP/1.1 299 Success\r\nDate: custom\r\n"))
        #expect(!head.contains("1994"))
    }

    @Test func errorResponsesCloseAndExplainThemselvesPlainly() {
        let text = String(decoding: ResponseSerializer.errorResponse(status: 431, date: date), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.hasSuffix("\r\n\r\nRequest Header Fields Too Large\n"))
    }
}
