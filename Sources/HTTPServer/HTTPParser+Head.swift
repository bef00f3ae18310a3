/// How the body of a parsed head is framed (RFC 9112 §6.3).
struct Framing: Equatable {
    enum Body: Equatable {
        case none
        case length(Int)
        case chunked
    }
    var body: Body
    /// `Expect: 100-continue` on an HTTP/1.1 request that has a body.
    var expectsContinue: Bool
}

/// A rejected head: the status to answer and why (for the log, never for the client).
struct HeadError: Error, Equatable {
    let status: Int
    let reason: String
    init(_ status: Int, _ reason: String) {
        self.status = status
        self.reason = reason
    }
}

/// Parses a complete request head whose line structure the scanner has already checked.
enum HeadParser {
    /// Parses request line and fields, then decides framing.
    ///
    /// `head` is the request line, CRLF, field lines each ending CRLF, and the final CRLF.
    static func parse(
        _ head: UnsafeRawBufferPointer, requestLineLength: Int, limits: HTTPParser.Limits
    ) -> Result<(Request, Framing), HeadError> {
        let line = UnsafeRawBufferPointer(rebasing: head[0..<requestLineLength])
        let requestLine: RequestLine
        switch parseRequestLine(line) {
        case .success(let parsed): requestLine = parsed
        case .failure(let error): return .failure(error)
        }

        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(8)
        var hostCount = 0
        var contentLengths: [Int] = []
        var contentLengthTooLarge = false
        var transferCodings: [String] = []
        var sawTransferEncoding = false
        var expectations: [String] = []

        var start = requestLineLength + 2
        let end = head.count - 2  // the final empty line
        while start < end {
            var lineEnd = start
            while head[lineEnd] != 0x0D { lineEnd += 1 }  // the scanner guaranteed CRLF endings
            let fieldLine = UnsafeRawBufferPointer(rebasing: head[start..<lineEnd])
            start = lineEnd + 2
            // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is rejected with 400.
            if let first = fieldLine.first, first == 0x20 || first == 0x09 {
                return .failure(HeadError(400, "obsolete line folding"))
            }
            guard let (name, value) = parseFieldLine(fieldLine) else {
                return .failure(HeadError(400, "malformed header field"))
            }
            headers.fields.append((name: name, value: value))

            if asciiCaseInsensitiveEquals(name, "host") {
                hostCount += 1
                guard isValidHost(value) else { return .failure(HeadError(400, "invalid Host")) }
            } else if asciiCaseInsensitiveEquals(name, "content-length") {
                // RFC 9110 §8.6: a list of identical values may be accepted; anything else is an error.
                for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let trimmed = element.trimmingOptionalWhitespace()
                    guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        return .failure(HeadError(400, "invalid Content-Length"))
                    }
                    if trimmed.utf8.count > 18 || Int(trimmed)! > limits.maxBodySize {
                        contentLengthTooLarge = true
                        contentLengths.append(trimmed.utf8.count > 18 ? Int.max : Int(trimmed)!)
                    } else {
                        contentLengths.append(Int(trimmed)!)
                    }
                }
            } else if asciiCaseInsensitiveEquals(name, "transfer-encoding") {
                sawTransferEncoding = true
                for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                    transferCodings.append(element.trimmingOptionalWhitespace().lowercased())
                }
            } else if asciiCaseInsensitiveEquals(name, "expect") {
                expectations.append(value.lowercased())
            }
        }

        // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with more than one, gets 400.
        if hostCount > 1 { return .failure(HeadError(400, "multiple Host fields")) }
        if hostCount == 0 && requestLine.version == .http11 { return .failure(HeadError(400, "missing Host")) }

        var framing = Framing(body: .none, expectsContinue: false)
        if sawTransferEncoding {
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
            if requestLine.version == .http10 { return .failure(HeadError(400, "Transfer-Encoding in HTTP/1.0")) }
            // RFC 9112 §6.3: a request with both Transfer-Encoding and Content-Length is rejected.
            if !contentLengths.isEmpty { return .failure(HeadError(400, "both Transfer-Encoding and Content-Length")) }
            if transferCodings.contains("") { return .failure(HeadError(400, "empty transfer coding")) }
            // RFC 9112 §6.1: a transfer coding we do not implement gets 501.
            if transferCodings.contains(where: { $0 != "chunked" }) {
                return .failure(HeadError(501, "unsupported transfer coding"))
            }
            // RFC 9112 §6.1: chunked must not be applied more than once.
            if transferCodings.count != 1 { return .failure(HeadError(400, "chunked applied more than once")) }
            framing.body = .chunked
        } else if let first = contentLengths.first {
            // RFC 9112 §6.3: differing Content-Length values make the length unknowable: 400.
            if contentLengths.contains(where: { $0 != first }) {
                return .failure(HeadError(400, "differing Content-Length values"))
            }
            // Answered from the declared length, before any of the body is read.
            if contentLengthTooLarge { return .failure(HeadError(413, "declared body too large")) }
            framing.body = first > 0 ? .length(first) : .none
        }

        if requestLine.version == .http11 && !expectations.isEmpty {
            // RFC 9110 §10.1.1: the only expectation defined is 100-continue; others get 417.
            guard expectations.allSatisfy({ $0.trimmingOptionalWhitespace() == "100-continue" }) else {
                return .failure(HeadError(417, "unsupported expectation"))
            }
            framing.expectsContinue = framing.body != .none
        }

        let request = Request(
            method: requestLine.method, target: requestLine.target, path: requestLine.path,
            query: requestLine.query, version: requestLine.version, headers: headers, body: [],
            remoteAddress: "")
        return .success((request, framing))
    }

    struct RequestLine {
        var method: String
        var target: String
        var path: String
        var query: String
        var version: HTTPVersion
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3), exactly one space each.
    static func parseRequestLine(_ line: UnsafeRawBufferPointer) -> Result<RequestLine, HeadError> {
        var index = 0
        while index < line.count, isTokenByte(line[index]) { index += 1 }
        guard index > 0, index < line.count, line[index] == 0x20 else {
            return .failure(HeadError(400, "malformed method"))
        }
        let method = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<index]), as: UTF8.self)
        index += 1
        let targetStart = index
        // request-target is visible ASCII only; '#' (a fragment) is never sent (RFC 9112 §3.2).
        while index < line.count, line[index] > 0x20, line[index] < 0x7F, line[index] != UInt8(ascii: "#") {
            index += 1
        }
        guard index > targetStart, index < line.count, line[index] == 0x20 else {
            return .failure(HeadError(400, "malformed request target"))
        }
        let targetBytes = UnsafeRawBufferPointer(rebasing: line[targetStart..<index])
        index += 1
        let versionBytes = UnsafeRawBufferPointer(rebasing: line[index...])
        // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
        guard versionBytes.count == 8, versionBytes.starts(with: "HTTP/".utf8),
            versionBytes[6] == UInt8(ascii: "."),
            let major = digitValue(versionBytes[5]), let minor = digitValue(versionBytes[7])
        else {
            return .failure(HeadError(400, "malformed HTTP version"))
        }
        guard major == 1 else { return .failure(HeadError(505, "unsupported HTTP version")) }
        // RFC 9110 §6.2: a higher 1.x minor version is answered as the highest we support.
        let version: HTTPVersion = minor == 0 ? .http10 : .http11

        let target = String(decoding: targetBytes, as: UTF8.self)
        var pathBytes = targetBytes
        if targetBytes[0] == UInt8(ascii: "/") {
            // origin-form
        } else if targetBytes.count == 1 && targetBytes[0] == UInt8(ascii: "*") {
            // RFC 9112 §3.2.4: asterisk-form is only for OPTIONS.
            guard method == "OPTIONS" else { return .failure(HeadError(400, "asterisk-form without OPTIONS")) }
            return .success(RequestLine(method: method, target: target, path: "*", query: "", version: version))
        } else if let pathStart = absoluteFormPathStart(targetBytes) {
            // RFC 9112 §3.2.2: servers must accept absolute-form; the path is what we route on.
            pathBytes = UnsafeRawBufferPointer(rebasing: targetBytes[pathStart...])
        } else {
            return .failure(HeadError(400, "unsupported request-target form"))
        }

        var rawPath = pathBytes
        var query = ""
        if let mark = pathBytes.firstIndex(of: UInt8(ascii: "?")) {
            rawPath = UnsafeRawBufferPointer(rebasing: pathBytes[..<mark])
            query = String(decoding: UnsafeRawBufferPointer(rebasing: pathBytes[(mark + 1)...]), as: UTF8.self)
        }
        let path: String
        if rawPath.isEmpty {
            path = "/"
        } else {
            guard let decoded = RequestTarget.decodePath(rawPath) else {
                return .failure(HeadError(400, "malformed percent-encoding in path"))
            }
            path = decoded
        }
        return .success(RequestLine(method: method, target: target, path: path, query: query, version: version))
    }

    /// Offset of the path in an `http://authority/path` target, or nil if it is not one.
    private static func absoluteFormPathStart(_ target: UnsafeRawBufferPointer) -> Int? {
        let lower = target.prefix(8).map { $0 | 0x20 }
        let schemeLength: Int
        if lower.starts(with: "http://".utf8) {
            schemeLength = 7
        } else if lower.starts(with: "https://".utf8) {
            schemeLength = 8
        } else {
            return nil
        }
        guard schemeLength < target.count else { return nil }
        var index = schemeLength
        while index < target.count, target[index] != UInt8(ascii: "/"), target[index] != UInt8(ascii: "?") { index += 1 }
        guard index > schemeLength else { return nil }
        return index
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5); nil when malformed.
    ///
    /// Rejects whitespace before the colon (RFC 9112 §5.1), non-token name characters and
    /// control characters other than HTAB in the value (RFC 9110 §5.5).
    static func parseFieldLine(_ line: UnsafeRawBufferPointer) -> (String, String)? {
        var index = 0
        while index < line.count, isTokenByte(line[index]) { index += 1 }
        guard index > 0, index < line.count, line[index] == UInt8(ascii: ":") else { return nil }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<index]), as: UTF8.self)
        var valueStart = index + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        for position in valueStart..<valueEnd {
            let byte = line[position]
            guard byte >= 0x20 || byte == 0x09, byte != 0x7F else { return nil }
        }
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd]), as: UTF8.self)
        return (name, value)
    }

    /// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2), checked by character class.
    private static func isValidHost(_ value: String) -> Bool {
        value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "-._~!$&'()*+;=:[]%".utf8.contains(byte)
            }
        }
    }

    @inline(__always)
    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }
}

/// tchar from RFC 9110 §5.6.2: the characters allowed in methods and field names.
@inline(__always)
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}
