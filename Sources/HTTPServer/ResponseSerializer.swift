/// Turns a handler's `Response` into the bytes of a response head (RFC 9112 §4, §6).
///
/// The server owns framing: `Content-Length`, `Transfer-Encoding` and `Connection` from the
/// handler are replaced, `Date` is added when missing, and fields that could split the
/// response (CR, LF or NUL in a value, non-token names) are dropped.
enum ResponseSerializer {
    /// What a request implies about its response.
    struct Context {
        var isHead = false
        var version: HTTPVersion = .http11
        var keepAlive = true
    }

    /// Serialises the head and returns it with the body bytes to send after it.
    static func serialize(_ response: Response, context: Context, date: [UInt8]) -> (head: [UInt8], body: [UInt8]) {
        let status = (100...999).contains(response.status) ? response.status : 500
        // RFC 9110 §6.4.1: 1xx, 204 and 304 never have a body; HEAD sends only the head.
        let bodyless = status < 200 || status == 204 || status == 304
        let sendBody = !bodyless && !context.isHead

        var head = [UInt8]()
        head.reserveCapacity(160 + response.headers.count * 40)
        head.append(contentsOf: statusLine(status))
        var handlerLength: String?
        var sawDate = false
        for (name, value) in response.headers {
            if asciiCaseInsensitiveEquals(name, "content-length") {
                handlerLength = value
                continue
            }
            if asciiCaseInsensitiveEquals(name, "connection") || asciiCaseInsensitiveEquals(name, "transfer-encoding") {
                continue
            }
            guard isSafeField(name: name, value: value) else { continue }
            if asciiCaseInsensitiveEquals(name, "date") { sawDate = true }
            head.append(contentsOf: name.utf8)
            head.append(0x3A)
            head.append(0x20)
            head.append(contentsOf: value.utf8)
            head.append(0x0D)
            head.append(0x0A)
        }
        if !sawDate {
            head.append(contentsOf: "Date: ".utf8)
            head.append(contentsOf: date)
            head.append(0x0D)
            head.append(0x0A)
        }
        // RFC 9110 §8.6: no Content-Length in 1xx/204; for HEAD and 304 it describes the body
        // that a GET would get, so a handler's explicit value wins there.
        // A streamed body has no length known in advance: chunked for HTTP/1.1 (RFC 9112 §7.1),
        // delimited by closing the connection for HTTP/1.0 (RFC 9112 §6.3 rule 8).
        let streaming = response.stream != nil && status >= 200 && status != 204 && status != 304
        if streaming {
            if context.version != .http10 {
                head.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            }
        } else if status >= 200 && status != 204 {
            var length = String(response.body.count)
            if context.isHead || status == 304, let declared = handlerLength,
                !declared.isEmpty, declared.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            {
                length = declared
            }
            if status != 304 || handlerLength != nil || !response.body.isEmpty {
                head.append(contentsOf: "Content-Length: ".utf8)
                head.append(contentsOf: length.utf8)
                head.append(0x0D)
                head.append(0x0A)
            }
        }
        if !context.keepAlive {
            head.append(contentsOf: "Connection: close\r\n".utf8)
        } else if context.version == .http10 {
            head.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        head.append(0x0D)
        head.append(0x0A)
        return (head, sendBody && response.stream == nil ? response.body : [])
    }

    /// A complete plain-text error response the server produces itself (400, 413, 503, …).
    static func errorResponse(status: Int, date: [UInt8]) -> [UInt8] {
        let text = "\(reasonPhrase(status))\n"
        let response = Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
        let (head, body) = serialize(response, context: Context(isHead: false, version: .http11, keepAlive: false), date: date)
        return head + body
    }

    /// The interim response sent for `Expect: 100-continue` (RFC 9110 §15.2.1).
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static func isSafeField(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { return false }
        return value.utf8.allSatisfy { ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 }
    }

    private static let commonStatusLines: [Int: [UInt8]] = {
        var lines: [Int: [UInt8]] = [:]
        for status in [200, 201, 204, 301, 302, 303, 304, 400, 403, 404, 405, 413, 422, 500, 503] {
            lines[status] = Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
        }
        return lines
    }()

    private static func statusLine(_ status: Int) -> [UInt8] {
        if let line = commonStatusLines[status] { return line }
        return Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
    }

    /// The standard reason phrase for a status (RFC 9110 §15), or a generic one by class.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default:
            switch status / 100 {
            case 1: return "Informational"
            case 2: return "Success"
            case 3: return "Redirection"
            case 4: return "Client Error"
            default: return "Server Error"
            }
        }
    }
}
