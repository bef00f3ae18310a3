/// What a handler returns: status, headers and the complete body.
///
/// The server adds `Date`, `Content-Length` and `Connection` itself and drops the body for
/// `HEAD`, so handlers never need to.
public struct Response: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Header fields to send; framing fields the server manages are replaced.
    public var headers: HTTPHeaders
    /// The complete body.
    public var body: [UInt8]

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
