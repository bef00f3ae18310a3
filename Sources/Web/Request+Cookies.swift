import HTTPServer

extension Request {
    /// The cookies the browser sent (RFC 6265 §5.4), first value winning for a repeated name.
    var cookies: [String: String] {
        var cookies: [String: String] = [:]
        for header in headers.values("cookie") {
            for pair in header.split(separator: ";") {
                let pieces = pair.split(separator: "=", maxSplits: 1)
                guard pieces.count == 2 else { continue }
                let name = pieces[0].trimmingCharacters(in: .whitespaces)
                if cookies[name] == nil { cookies[name] = pieces[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return cookies
    }
}

/// A `Set-Cookie` value (RFC 6265 §4.1) with the portal's fixed attributes: HttpOnly, SameSite=Lax, Path=/.
struct Cookie {
    var name: String
    var value: String
    var maxAge: Int?
    var secure: Bool

    var headerValue: String {
        var text = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax"
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        if secure { text += "; Secure" }
        return text
    }

    /// A cookie that tells the browser to forget `name`.
    static func expired(_ name: String, secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, secure: secure)
    }
}
