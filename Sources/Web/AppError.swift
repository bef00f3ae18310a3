import HTTPServer
import Postgres

/// The few kinds of failure a handler reports; `App` maps each to a status and one error page.
public enum AppError: Error, Equatable {
    /// Malformed request (bad form encoding, bad id): 400.
    case badRequest
    /// Not signed in where that is needed: redirect to the login page.
    case unauthenticated
    /// Signed in but not allowed, or a CSRF failure: 403.
    case forbidden
    /// No such object, or an object of someone else: 404 (never reveal that it exists).
    case notFound
    /// The request conflicts with the current state; the message key explains how: 409.
    case conflict(messageKey: String)
    /// Too many attempts: 429.
    case tooManyRequests
    /// The database cannot be reached in time: 503.
    case unavailable

    /// The HTTP status of each kind.
    var status: Int {
        switch self {
        case .badRequest: 400
        case .unauthenticated: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .tooManyRequests: 429
        case .unavailable: 503
        }
    }

    /// The catalog keys of the page's heading and explanation.
    var messageKeys: (title: String, body: String) {
        switch self {
        case .badRequest: ("error.400.title", "error.400.body")
        case .unauthenticated: ("error.403.title", "error.403.body")
        case .forbidden: ("error.403.title", "error.403.body")
        case .notFound: ("error.404.title", "error.404.body")
        case .conflict(let key): ("error.409.title", key)
        case .tooManyRequests: ("error.429.title", "error.429.body")
        case .unavailable: ("error.503.title", "error.503.body")
        }
    }

    /// Classifies a database failure: only unreachability is the user's business (503); every other
    /// database error is a bug or a constraint the caller should have mapped, so it stays a 500.
    static func from(_ error: PostgresError) -> AppError? {
        switch error {
        case .connectionFailed, .poolTimeout: .unavailable
        default: nil
        }
    }
}
