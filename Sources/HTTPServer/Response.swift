/// What a handler returns: status, headers and the complete body (or a body stream).
///
/// The server adds `Date`, `Content-Length` and `Connection` itself and drops the body for
/// `HEAD`, so handlers never need to. A response with `stream` set is sent chunked instead
/// (see `Response+Stream.swift`).
public struct Response: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Header fields to send; framing fields the server manages are replaced.
    public var headers: HTTPHeaders
    /// The complete body; ignored when `stream` is set.
    public var body: [UInt8]
    /// Produces the body piece by piece after the head is sent, for bodies too large to hold
    /// in memory (exports); nil for an ordinary response.
    public var stream: BodyStream?

    /// Creates a response; defaults to an empty 200.
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Creates a response with a UTF-8 text body.
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }
}

/// Handles one request; throwing produces a plain 500 response and a log line.
public typealias Handler = @Sendable (Request) throws -> Response
