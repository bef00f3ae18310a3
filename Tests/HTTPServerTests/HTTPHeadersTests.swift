import Testing
@testable import HTTPServer

@Suite struct HTTPHeadersTests {
    @Test func lookupIgnoresCaseAndReturnsTheFirstValue() {
        let headers = HTTPHeaders([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Host", "h")])
        #expect(headers["SET-COOKIE"] == "a=1")
        #expect(headers.values("Set-Cookie") == ["a=1", "b=2"])
        #expect(headers.contains("host"))
        #expect(headers["Missing"] == nil)
    }

    @Test func setReplacesAllValuesKeepingThePositionOfTheFirst() {
        var headers = HTTPHeaders([("A", "1"), ("B", "2"), ("a", "3")])
        headers.set("A", "x")
        #expect(Array(headers.map { "\($0.name)=\($0.value)" }) == ["A=x", "B=2"])
        headers.set("C", "y")
        #expect(headers["c"] == "y")
    }

    @Test func addKeepsDuplicatesAndRemoveDropsAll() {
        var headers = HTTPHeaders()
        headers.add("Vary", "Cookie")
        headers.add("vary", "Accept")
        #expect(headers.count == 2)
        headers.remove("VARY")
        #expect(headers.count == 0)
    }

    @Test func lettersOnlyMatchTheirOwnCase() {
        // '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
        #expect(!asciiCaseInsensitiveEquals("@", "`"))
        #expect(asciiCaseInsensitiveEquals("Content-Length", "content-length"))
        #expect(!asciiCaseInsensitiveEquals("Content-Length", "Content-Lengt"))
    }
}
