#if canImport(Glibc)
import Glibc
#endif

/// Listening-socket setup and address formatting. Knows nothing about HTTP.
enum Socket {
    /// Creates a non-blocking listening TCP socket; returns it and the port actually bound.
    ///
    /// Throws `SystemCallError` when resolution, `bind` or `listen` fails (e.g. port in use).
    static func listen(host: String, port: Int, backlog: Int) throws -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw SystemCallError(call: "getaddrinfo(\(host))", errno: status == EAI_SYSTEM ? Glibc.errno : EINVAL)
        }
        defer { freeaddrinfo(results) }

        let fd = try systemCall("socket") {
            socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var one: Int32 = 1
            try systemCall("setsockopt(SO_REUSEADDR)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            try systemCall("bind") { bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) }
            try systemCall("listen") { Glibc.listen(fd, Int32(clamping: backlog)) }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = try withUnsafeMutablePointer(to: &storage) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    try systemCall("getsockname") { getsockname(fd, address, &length) }
                }
            }
            return (fd, Int(portNumber(storage)))
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    /// Sets `TCP_NODELAY` so small responses go out at once instead of waiting ~40 ms for a
    /// delayed ACK (the cause of FlyingFox's 727 requests/s noted in the issue).
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = try? systemCall("setsockopt(TCP_NODELAY)") {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The port in an IPv4 or IPv6 socket address, in host byte order.
    static func portNumber(_ storage: sockaddr_storage) -> UInt16 {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            default:
                return 0
            }
        }
    }

    /// The IP address of a peer as text; IPv4-mapped IPv6 addresses are shown as IPv4.
    static func addressText(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> String in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
                    return String(cString: text)
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count))
                    let result = String(cString: text)
                    return result.hasPrefix("::ffff:") && result.contains(".") ? String(result.dropFirst(7)) : result
                }
            default:
                return "unknown"
            }
        }
    }
}
