import HTTPServer
import Scheduling

/// Matches a method and path to a handler; `{name}` segments capture parameters.
struct Router {
    typealias Handler = (RequestContext) throws -> Response

    /// Who may reach a route: anyone, or only a signed-in user of one role.
    enum Access {
        case anyone
        case signedIn
        case role(Role)
    }

    private struct Route {
        var method: String
        var segments: [Substring]
        var access: Access
        var handler: Handler
    }

    private var routes: [Route] = []

    /// Adds a route; `path` like `/patient/appointments/{id}/cancel`.
    mutating func add(_ method: String, _ path: String, _ access: Access = .anyone, _ handler: @escaping Handler) {
        routes.append(Route(method: method, segments: path.split(separator: "/"), access: access, handler: handler))
    }

    /// The outcome of matching one request.
    enum Match {
        case found(Handler, Access, parameters: [String: String])
        /// The path exists, but not for this method (RFC 9110 §15.5.6: 405 with Allow).
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    func match(method: String, path: String) -> Match {
        let requested = path.split(separator: "/")
        var allowed: [String] = []
        for route in routes where route.segments.count == requested.count {
            var parameters: [String: String] = [:]
            var matches = true
            for (pattern, actual) in zip(route.segments, requested) {
                if pattern.first == "{" && pattern.last == "}" {
                    parameters[String(pattern.dropFirst().dropLast())] = String(actual)
                } else if pattern != actual {
                    matches = false
                    break
                }
            }
            guard matches else { continue }
            let effectiveMethod = method == "HEAD" ? "GET" : method
            if route.method == effectiveMethod { return .found(route.handler, route.access, parameters: parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
