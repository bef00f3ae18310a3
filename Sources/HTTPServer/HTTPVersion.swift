/// The HTTP protocol versions this server speaks (RFC 9112 §2.3).
///
/// HTTP/1.0 keeps a connection open only when the client asks with `Connection: keep-alive`.
public enum HTTPVersion: Sendable, Equatable {
    /// HTTP/1.0: close after each response unless keep-alive was requested.
    case http10
    /// HTTP/1.1: persistent connections by default.
    case http11
}
