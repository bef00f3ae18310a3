/// One parsed HTTP request with its complete body.
///
/// Built by the parser from raw bytes; tests build them with the public initialiser.
public struct Request: Sendable {
    /// Method token as received, e.g. `"GET"` (RFC 9110 §9.1: methods are case-sensitive).
    public var method: String
    /// The raw request-target, e.g. `"/doctors?q=a%20b"`.
    public var target: String
    /// The percent-decoded path only, e.g. `"/doctors"`.
    public var path: String
    /// The raw query after `?`, not decoded; empty when there is none.
    public var query: String
    /// Protocol version of the request line.
    public var version: HTTPVersion
    /// Header fields in received order.
    public var headers: HTTPHeaders
    /// The complete body (chunked bodies arrive already decoded).
    public var body: [UInt8]
    /// Peer IP address as text, e.g. `"127.0.0.1"` or `"::1"`.
    public var remoteAddress: String

    /// Creates a request, deriving `path` and `query` from `target`.
    ///
    /// A target whose path cannot be percent-decoded keeps the raw path, so tests can build
    /// deliberately malformed requests.
    public init(
        method: String = "GET", target: String = "/", version: HTTPVersion = .http11,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = "127.0.0.1"
    ) {
        let (rawPath, query) = RequestTarget.split(target)
        self.init(
            method: method, target: target, path: RequestTarget.decodePath(rawPath) ?? rawPath,
            query: query, version: version, headers: headers, body: body, remoteAddress: remoteAddress)
    }

    /// Memberwise form used by the parser, which has already validated and decoded the path.
    init(
        method: String, target: String, path: String, query: String, version: HTTPVersion,
        headers: HTTPHeaders, body: [UInt8], remoteAddress: String
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Whether the client allows the connection to stay open after this request.
    ///
    /// RFC 9112 §9.3: HTTP/1.1 persists unless `close` is listed; HTTP/1.0 only with `keep-alive`.
    var wantsKeepAlive: Bool {
        var sawClose = false, sawKeepAlive = false
        for value in headers.values("Connection") {
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingOptionalWhitespace()
                if asciiCaseInsensitiveEquals(trimmed, "close") { sawClose = true }
                if asciiCaseInsensitiveEquals(trimmed, "keep-alive") { sawKeepAlive = true }
            }
        }
        if sawClose { return false }
        return version == .http11 || sawKeepAlive
    }
}

/// Splitting and decoding of request-targets (RFC 9112 §3.2, RFC 3986 §2.1).
enum RequestTarget {
    /// Splits a target into its raw path and raw query (without `?`).
    static func split(_ target: String) -> (path: String, query: String) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// Percent-decodes a path; nil when an escape is malformed, decodes to NUL, or the result
    /// is not UTF-8. Rejecting these keeps every later string comparison on the path honest.
    static func decodePath(_ raw: String) -> String? {
        var raw = raw
        return raw.withUTF8 { decodePath(UnsafeRawBufferPointer($0)) }
    }

    /// Byte-level form of `decodePath(_:)`, used by the parser on its buffer.
    static func decodePath(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.contains(UInt8(ascii: "%")) else {
            return String(validating: bytes, as: UTF8.self)
        }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                    return nil
                }
                let decoded = high << 4 | low
                if decoded == 0 { return nil }
                out.append(decoded)
                i += 3
            } else {
                out.append(byte)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (RFC 9110 §5.6.3 OWS).
    func trimmingOptionalWhitespace() -> String {
        var scalars = Substring(self).utf8[...]
        while let first = scalars.first, first == 0x20 || first == 0x09 { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == 0x20 || last == 0x09 { scalars = scalars.dropLast() }
        return String(Substring(scalars))
    }
}
