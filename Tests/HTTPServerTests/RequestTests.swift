import Testing
@testable import HTTPServer

@Suite struct RequestTests {
    @Test func initializerDerivesDecodedPathAndRawQuery() {
        let request = Request(target: "/doctors/a%20b?q=a%20b&x=1")
        #expect(request.path == "/doctors/a b")
        #expect(request.query == "q=a%20b&x=1")
        #expect(Request(target: "/plain").query == "")
    }

    @Test func malformedEscapeKeepsTheRawPath() {
        #expect(Request(target: "/a%zz").path == "/a%zz")
        #expect(RequestTarget.decodePath("/a%2") == nil)
        #expect(RequestTarget.decodePath("/%00") == nil)
    }

    @Test func keepAliveFollowsVersionAndConnectionTokens() {
        #expect(Request().wantsKeepAlive)
        #expect(!Request(headers: ["Connection": "Close"]).wantsKeepAlive)
        #expect(!Request(headers: ["Connection": "upgrade, close"]).wantsKeepAlive)
        #expect(!Request(version: .http10).wantsKeepAlive)
        #expect(Request(version: .http10, headers: ["Connection": "Keep-Alive"]).wantsKeepAlive)
    }
}
