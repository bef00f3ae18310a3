/// A failure talking to PostgreSQL, with the SQLSTATEs features act on given their own cases.
///
/// Features turn constraint violations into user messages by matching these cases (STYLE.md,
/// Errors): they do not pre-check and hope. Everything else keeps its SQLSTATE in `.server`.
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 23505 unique_violation, with the violated constraint's name when the server reports it.
    case uniqueViolation(constraint: String?)
    /// 23P01 exclusion_violation (for example overlapping time ranges).
    case exclusionViolation(constraint: String?)
    /// 23503 foreign_key_violation, including `ON DELETE RESTRICT` refusals.
    case foreignKeyViolation(constraint: String?)
    /// 23514 check_violation.
    case checkViolation(constraint: String?)
    /// 40001 serialization_failure: the transaction may succeed if retried.
    case serializationFailure
    /// 40P01 deadlock_detected: the transaction may succeed if retried.
    case deadlockDetected
    /// 57014 query_canceled, which is what `statement_timeout` raises.
    case queryCanceled
    /// The connection could not be made or was lost (server restart, `pg_terminate_backend`, network).
    case connectionFailed(String)
    /// No pooled connection became free within the pool's acquire timeout.
    case poolTimeout
    /// Any other error reported by the server.
    case server(sqlstate: String, message: String)
    /// A result value could not be converted to the requested Swift type.
    case decoding(String)

    /// Maps a server error to a case; connection-level SQLSTATEs (class 08, admin shutdown 57P0x) become `.connectionFailed`.
    init(sqlstate: String, message: String, constraint: String?) {
        switch sqlstate {
        case "23505": self = .uniqueViolation(constraint: constraint)
        case "23P01": self = .exclusionViolation(constraint: constraint)
        case "23503": self = .foreignKeyViolation(constraint: constraint)
        case "23514": self = .checkViolation(constraint: constraint)
        case "40001": self = .serializationFailure
        case "40P01": self = .deadlockDetected
        case "57014": self = .queryCanceled
        case "57P01", "57P02", "57P03": self = .connectionFailed(message)
        default:
            self = sqlstate.hasPrefix("08") ? .connectionFailed(message) : .server(sqlstate: sqlstate, message: message)
        }
    }

    /// Whether the connection that produced this error can no longer be used.
    public var isConnectionLevel: Bool {
        if case .connectionFailed = self { return true }
        return false
    }

    /// A one-line description for logs (never shown to users: it may contain SQL details).
    public var description: String {
        switch self {
        case .uniqueViolation(let c): return "unique violation (\(c ?? "unknown constraint"))"
        case .exclusionViolation(let c): return "exclusion violation (\(c ?? "unknown constraint"))"
        case .foreignKeyViolation(let c): return "foreign key violation (\(c ?? "unknown constraint"))"
        case .checkViolation(let c): return "check violation (\(c ?? "unknown constraint"))"
        case .serializationFailure: return "serialization failure"
        case .deadlockDetected: return "deadlock detected"
        case .queryCanceled: return "query canceled (statement timeout)"
        case .connectionFailed(let message): return "connection failed: \(message)"
        case .poolTimeout: return "no database connection available in time"
        case .server(let sqlstate, let message): return "server error \(sqlstate): \(message)"
        case .decoding(let message): return "decoding error: \(message)"
        }
    }
}
