import CLibPQ
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The isolation level a transaction starts with.
public enum IsolationLevel: String, Sendable {
    /// Each statement sees data committed before it began (PostgreSQL's default).
    case readCommitted = "READ COMMITTED"
    /// The whole transaction sees one snapshot; conflicting writes raise serialization failures.
    case repeatableRead = "REPEATABLE READ"
    /// Transactions behave as if run one after another; anomalies raise serialization failures.
    case serializable = "SERIALIZABLE"
}

/// One libpq connection: parameterised queries, scripts and transactions.
///
/// Not thread-safe: a connection is used by one thread at a time, which `PostgresPool` guarantees.
/// Every session runs with `TimeZone=UTC`, `DateStyle=ISO`, `bytea_output=hex`, UTF-8 client
/// encoding and a `statement_timeout`, which the text decoders rely on.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    private let notices: NoticeSink
    /// Nesting depth of `transaction` calls; inner levels use savepoints.
    private var transactionDepth = 0
    /// Round trips that came back over a healthy connection; the pool compares it before and
    /// after a checkout to know whether a failed body had done anything at all.
    private(set) var completedRoundTrips = 0

    /// Connects to the server named by a libpq URL (`postgresql://…`) or `key=value` conninfo.
    ///
    /// Uses `PQconnectdbParams` with `expand_dbname=1`, so nothing is pasted into a string:
    /// `connect_timeout=10` is a default the URL may override; UTF-8 client encoding is forced.
    /// Throws `PostgresError.connectionFailed` when the server cannot be reached or refuses.
    public init(url: String, statementTimeoutMilliseconds: Int = 5000, logger: Logger? = nil) throws {
        notices = NoticeSink(logger: logger)
        // Keywords are processed in order and later ones win: the expanded URL overrides what
        // comes before it and cannot override what comes after it.
        let keywords = ["connect_timeout", "fallback_application_name", "dbname", "client_encoding"]
        let values = ["10", "clinic-portal", url, "UTF8"]
        let connection = withCStringArray(keywords) { kw in
            withCStringArray(values) { vals in PQconnectdbParams(kw, vals, 1) }
        }
        guard let connection else { throw PostgresError.connectionFailed("out of memory allocating a libpq connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError.connectionFailed(message)
        }
        handle = connection
        PQsetNoticeProcessor(connection, { context, message in
            guard let context, let message else { return }
            Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(String(cString: message))
        }, Unmanaged.passUnretained(notices).toOpaque())
        do {
            try query("""
                SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, MDY', false),
                       set_config('bytea_output', 'hex', false), set_config('statement_timeout', \(String(statementTimeoutMilliseconds)), false)
                """)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Whether libpq considers the connection unusable (`PQstatus` is not `CONNECTION_OK`).
    public var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// The server process id serving this connection, as `pg_backend_pid()` returns it.
    public var backendPID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    /// Closes the connection; further use throws `connectionFailed`. Safe to call twice.
    public func close() {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
    }

    // MARK: - Statements

    /// Runs one parameterised statement and returns its rows.
    ///
    /// Throws a mapped `PostgresError` (constraint violations, timeouts, lost connection…).
    @discardableResult
    public func query(_ sql: SQL) throws -> [PostgresRow] {
        let result = try execParams(sql)
        defer { PQclear(result) }
        return Self.rows(of: result)
    }

    /// Runs one parameterised statement and returns the number of rows it affected (0 when not applicable).
    ///
    /// Throws a mapped `PostgresError`.
    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        let result = try execParams(sql)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Runs a trusted multi-statement script with `PQexec`, for migration files only.
    ///
    /// Values can never be bound here, hence the `unsafe` in the parameter name. Inside a
    /// transaction the whole script runs in it. Throws a mapped `PostgresError`.
    public func executeScript(_ unsafeScript: String) throws {
        let handle = try liveHandle()
        let result = PQexec(handle, unsafeScript)
        defer { PQclear(result) }
        try check(result)
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction at the server's default isolation: committed when it returns,
    /// rolled back when it throws (the error is rethrown).
    ///
    /// Nested calls use savepoints, so a store method may open a transaction inside a caller's.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try transaction(isolation: nil, body)
    }

    /// Runs `body` in a transaction with the given isolation level (ignored when nested).
    ///
    /// Throws what `body` throws after rolling back, or the `COMMIT` error (for example
    /// `.serializationFailure`); a transaction that the server already aborted and that `body`
    /// swallowed throws instead of pretending to commit.
    @discardableResult
    public func transaction<T>(isolation: IsolationLevel?, _ body: (PostgresConnection) throws -> T) throws -> T {
        if transactionDepth > 0 { return try savepoint(body) }
        try execute(isolation.map { SQL.unsafeRaw("BEGIN ISOLATION LEVEL \($0.rawValue)") } ?? SQL("BEGIN"))
        transactionDepth = 1
        defer { transactionDepth = 0 }
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly("ROLLBACK")
            throw error
        }
        try commit()
        return value
    }

    private func savepoint<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let name = "clinic_sp_\(transactionDepth)"
        try execute(.unsafeRaw("SAVEPOINT \(name)"))
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        do {
            let value = try body(self)
            try execute(.unsafeRaw("RELEASE SAVEPOINT \(name)"))
            return value
        } catch {
            rollbackQuietly("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
    }

    private func commit() throws {
        let handle = try liveHandle()
        let result = PQexec(handle, "COMMIT")
        defer { PQclear(result) }
        try check(result)
        // COMMIT of a transaction that already failed answers "ROLLBACK" without an error.
        if String(cString: PQcmdStatus(result)) == "ROLLBACK" {
            throw PostgresError.server(sqlstate: "25P02", message: "transaction was aborted by an earlier error and has been rolled back")
        }
    }

    private func rollbackQuietly(_ statement: String) {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return }
        PQclear(PQexec(handle, statement))
    }

    // MARK: - Pool support

    /// Whether the connection is idle outside any transaction.
    var isIdle: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Rolls back a transaction a caller left open so the connection can be reused.
    func resetTransactionState() {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return }
        let status = PQtransactionStatus(handle)
        if status == PQTRANS_INTRANS || status == PQTRANS_INERROR {
            PQclear(PQexec(handle, "ROLLBACK"))
        }
        transactionDepth = 0
    }

    /// Checks without a round trip whether the server closed an idle connection.
    ///
    /// Also used right after a statement failed without a SQLSTATE (nothing is in flight then either).
    /// A terminated backend (restart, `pg_terminate_backend`) sends a FATAL message and closes the
    /// socket; that makes the socket readable, and `PQconsumeInput` then notices the end of stream.
    func isAliveWhileIdle() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        let fd = PQsocket(handle)
        guard fd >= 0 else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready == 0 { return true }
        if ready < 0 { return errno == EINTR }
        if PQconsumeInput(handle) == 0 { return false }
        // Drop stray NOTIFY messages; nothing here listens for them.
        while let notify = PQnotifies(handle) { PQfreemem(notify) }
        return PQstatus(handle) == CONNECTION_OK
    }

    // MARK: - libpq plumbing

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError.connectionFailed("connection is closed") }
        return handle
    }

    private func execParams(_ sql: SQL) throws -> OpaquePointer {
        let handle = try liveHandle()
        let binds = sql.binds
        // Text-format parameters with server-inferred types; strdup because libpq reads them
        // synchronously and Swift strings have no stable C pointer across array elements.
        let values: [UnsafeMutablePointer<CChar>?] = binds.map { $0.flatMap { strdup($0) } }
        defer { values.forEach { free($0) } }
        let result = values.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            PQexecParams(handle, sql.text, Int32(binds.count), nil, buffer.baseAddress, nil, nil, 0)
        }
        do {
            try check(result)
        } catch {
            PQclear(result)
            throw error
        }
        return result!
    }

    /// Throws the mapped error for a failed result; counts healthy round trips.
    private func check(_ result: OpaquePointer?) throws {
        guard let handle else { throw PostgresError.connectionFailed("connection is closed") }
        guard let result else {
            throw PostgresError.connectionFailed(Self.trimmed(PQerrorMessage(handle)))
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            completedRoundTrips += 1
            return
        }
        let message = Self.field(result, "M") ?? Self.trimmed(PQresultErrorMessage(result))
        let sqlstate = Self.field(result, "C")
        // Every error the server sends carries a SQLSTATE; one without was made by libpq itself. When the
        // server vanished while a statement was being sent, libpq reports the failed write ("server closed the
        // connection unexpectedly") as soon as it has read the server's last words (the notice a backend sends
        // on an immediate shutdown), before it has seen the end of the stream: `PQstatus` still says
        // CONNECTION_OK then. Looking at the socket settles it: a lost connection is not a server error.
        if PQstatus(handle) != CONNECTION_OK || (sqlstate == nil && !isAliveWhileIdle()) {
            throw PostgresError.connectionFailed(message.isEmpty ? Self.trimmed(PQerrorMessage(handle)) : message)
        }
        completedRoundTrips += 1
        throw PostgresError(sqlstate: sqlstate ?? "XX000", message: message, constraint: Self.field(result, "n"))
    }

    private static func rows(of result: OpaquePointer) -> [PostgresRow] {
        let rowCount = PQntuples(result), columnCount = PQnfields(result)
        let columns = PostgresColumns(names: (0..<columnCount).map { String(cString: PQfname(result, $0)) })
        var rows = [PostgresRow]()
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values = [String?]()
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                values.append(PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column)))
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        return rows
    }

    /// A diagnostic field; `code` is libpq's `PG_DIAG_*` letter ('C' SQLSTATE, 'M' message, 'n' constraint).
    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Receives server notices (for example "relation already exists, skipping") and logs them at debug
/// level instead of letting libpq print them to stderr.
private final class NoticeSink {
    let logger: Logger?
    init(logger: Logger?) { self.logger = logger }
    func receive(_ message: String) {
        logger?.debug("postgres notice", metadata: ["notice": "\(message.trimmingCharacters(in: .whitespacesAndNewlines))"])
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the duration of the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { copies.forEach { free($0) } }
    return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
}
