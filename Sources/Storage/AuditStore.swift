import Crypto
import Foundation
import Postgres

/// One row of the audit trail as read back.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actorID: Int64?
    public var actorEmail: String?
    public var actorRole: String
    public var action: String
    public var entity: String
    public var entityID: String
    public var ip: String
    public var details: String
    public var sealed: Bool
}

/// The outcome of walking the hash chain.
public enum AuditIntegrity: Sendable, Equatable {
    /// Every sealed row links to the one before and hashes to what it says.
    case intact(entries: Int)
    /// The first position where the chain breaks, with the row id found there (nil: row missing).
    case broken(position: Int64, entryID: Int64?, reason: String)
}

/// The append-only audit trail with a SHA-256 hash chain.
///
/// Writers insert unsealed rows and never wait on each other; `seal` (one sealer at a time,
/// by advisory lock) later links them in id order. Sealing in *visible* id order keeps the
/// chain consistent even when ids commit out of order: a late row is sealed in a later batch.
public struct AuditStore: Sendable {
    static let sealLockKey: Int64 = 0x636c_696e_6963_0001  // "clinic" + 1: one sealer cluster-wide

    public init() {}

    /// Appends an unsealed entry in the caller's transaction, so it commits or rolls back with the change it records.
    /// - Throws: `PostgresError` on database failure.
    public func record(actor: Actor, action: String, entity: String = "", entityID: String = "",
                       details: [String: String] = [:], on db: PostgresConnection) throws {
        try db.execute("""
            INSERT INTO audit_log (actor_id, actor_role, action, entity, entity_id, ip, details)
            VALUES (\(actor.userID), \(actor.role), \(action), \(entity), \(entityID), \(actor.ip), \(JSONText(Self.json(details)))::jsonb)
            """)
    }

    /// Seals every unsealed entry visible now, in batches; returns how many were sealed.
    /// - Throws: `PostgresError` on database failure.
    @discardableResult
    public func seal(pool: PostgresPool, batchSize: Int = 1000) throws -> Int {
        var total = 0
        while true {
            let sealed = try pool.transaction { db -> Int in
                _ = try db.query("SELECT pg_advisory_xact_lock(\(Self.sealLockKey)) IS NULL AS locked")
                let head = try db.query("SELECT chain_position, hash FROM audit_log WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1").first
                var position: Int64 = try head?.decode("chain_position") ?? 0
                var previous: String = try head?.decode("hash") ?? ""
                let rows = try db.query("""
                    SELECT \(unsafeRaw: Self.canonicalColumns) FROM audit_log
                    WHERE hash IS NULL ORDER BY id LIMIT \(batchSize)
                    """)
                for row in rows {
                    position += 1
                    let hash = try Self.hash(row: row, position: position, previous: previous)
                    let id: Int64 = try row.decode("id")
                    try db.execute("UPDATE audit_log SET chain_position = \(position), prev_hash = \(previous), hash = \(hash) WHERE id = \(id)")
                    previous = hash
                }
                return rows.count
            }
            total += sealed
            if sealed < batchSize { return total }
        }
    }

    /// Walks the whole chain in position order, recomputing every hash.
    /// - Throws: `PostgresError` on database failure.
    public func verify(pool: PostgresPool, batchSize: Int = 5000) throws -> AuditIntegrity {
        var expectedPosition: Int64 = 1
        var previous = ""
        while true {
            let rows = try pool.withConnection { db in
                try db.query("""
                    SELECT \(unsafeRaw: Self.canonicalColumns), chain_position, prev_hash, hash FROM audit_log
                    WHERE chain_position >= \(expectedPosition) ORDER BY chain_position LIMIT \(batchSize)
                    """)
            }
            for row in rows {
                let position: Int64 = try row.decode("chain_position")
                let id: Int64 = try row.decode("id")
                if position != expectedPosition {
                    return .broken(position: expectedPosition, entryID: nil, reason: "entry missing")
                }
                if try row.decode("prev_hash", as: String?.self) != previous {
                    return .broken(position: position, entryID: id, reason: "link to previous entry does not match")
                }
                let stored: String? = try row.decode("hash")
                if try Self.hash(row: row, position: position, previous: previous) != stored {
                    return .broken(position: position, entryID: id, reason: "contents do not match their hash")
                }
                previous = stored ?? ""
                expectedPosition += 1
            }
            if rows.count < batchSize { return .intact(entries: Int(expectedPosition - 1)) }
        }
    }

    // MARK: - Reading

    /// Filters of the audit page; nil means any.
    ///
    /// `actor` is a user id, an email address, or a role (`admin`, `system`, `anonymous`…).
    /// `from` is inclusive and `to` exclusive.
    public struct Filter: Sendable, Equatable {
        public var actor: String?
        public var action: String?
        public var entity: String?
        public var entityID: String?
        public var from: Date?
        public var to: Date?
        /// Creates a filter; every criterion defaults to "any".
        public init(actor: String? = nil, action: String? = nil, entity: String? = nil, entityID: String? = nil,
                    from: Date? = nil, to: Date? = nil) {
            self.actor = actor
            self.action = action
            self.entity = entity
            self.entityID = entityID
            self.from = from
            self.to = to
        }
    }

    /// How `Filter.actor` narrows the query: by user id, by the actor's role, or to nothing
    /// (an email no account has).
    enum ActorMatch {
        case any
        case user(Int64)
        case role(String)
        case nobody
    }

    /// Resolves the actor text once, so the listing query can use the `(actor_id, id)` index
    /// instead of joining users for every row.
    func actorMatch(_ actor: String?, on db: PostgresConnection) throws -> ActorMatch {
        guard let actor, !actor.isEmpty else { return .any }
        if let id = Int64(actor) { return .user(id) }
        if actor.contains("@") {
            let rows = try db.query("SELECT id FROM users WHERE email = \(actor)::citext")
            return try rows.first.map { .user(try $0.decode("id")) } ?? .nobody
        }
        return .role(actor)
    }

    /// The WHERE clause shared by the page and the export (keyset bound included).
    func whereClause(_ filter: Filter, actor: ActorMatch, beforeID: Int64?) -> SQL {
        var actorID: Int64?, actorRole: String?
        switch actor {
        case .any: break
        case .user(let id): actorID = id
        case .role(let role): actorRole = role
        case .nobody: actorID = -1
        }
        return """
            WHERE (\(actorID)::bigint IS NULL OR a.actor_id = \(actorID))
              AND (\(actorRole)::text IS NULL OR a.actor_role = \(actorRole))
              AND (\(filter.action)::text IS NULL OR a.action = \(filter.action))
              AND (\(filter.entity)::text IS NULL OR a.entity = \(filter.entity))
              AND (\(filter.entityID)::text IS NULL OR a.entity_id = \(filter.entityID))
              AND (\(filter.from)::timestamptz IS NULL OR a.at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR a.at < \(filter.to))
              AND (\(beforeID)::bigint IS NULL OR a.id < \(beforeID))
            """
    }

    /// Newest first, `limit` entries older than `beforeID` (keyset pagination: fast at any depth).
    /// - Throws: `PostgresError` on database failure.
    public func list(_ filter: Filter, beforeID: Int64? = nil, limit: Int, on db: PostgresConnection) throws -> [AuditEntry] {
        let actor = try actorMatch(filter.actor, on: db)
        return try db.query("""
            SELECT a.id, a.at, a.actor_id, u.email::text AS actor_email, a.actor_role, a.action, a.entity, a.entity_id,
                   a.ip, a.details::text AS details, a.hash IS NOT NULL AS sealed
            FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
            \(fragment: whereClause(filter, actor: actor, beforeID: beforeID))
            ORDER BY a.id DESC LIMIT \(limit)
            """).map { row in
            AuditEntry(id: try row.decode("id"), at: try row.decode("at"), actorID: try row.decode("actor_id"),
                       actorEmail: try row.decode("actor_email"), actorRole: try row.decode("actor_role"),
                       action: try row.decode("action"), entity: try row.decode("entity"),
                       entityID: try row.decode("entity_id"), ip: try row.decode("ip"),
                       details: try row.decode("details"), sealed: try row.decode("sealed"))
        }
    }

    // MARK: - Export

    /// The columns of `export`, in order (the CSV header).
    public static let exportColumns = ["id", "at_utc", "actor_id", "actor_email", "actor_role", "action", "entity",
                                       "entity_id", "ip", "details", "chain_position", "hash"]

    /// Every entry matching `filter`, newest first, handed to `write` in batches of at most `batchSize`
    /// rows of text cells (`exportColumns` order).
    ///
    /// Keyset batches on the primary key keep memory bounded by one batch and every query fast at any
    /// depth; each batch takes a pool connection only while it runs, so a slow client never pins one.
    /// Entries appended after the export started are not included (the first batch fixes the upper id).
    /// - Throws: `PostgresError` on database failure, or whatever `write` throws (which stops the export).
    public func export(_ filter: Filter, batchSize: Int = 2000, pool: PostgresPool, write: ([[String]]) throws -> Void) throws {
        let actor = try pool.withConnection { db in try actorMatch(filter.actor, on: db) }
        var before: Int64? = try pool.withConnection { db in
            try db.query("SELECT coalesce(max(id), 0) + 1 AS next FROM audit_log")[0].decode("next", as: Int64.self)
        }
        while let bound = before {
            let rows = try pool.withConnection { db in
                try db.query("""
                    SELECT a.id::text AS id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text,
                           coalesce(a.actor_id::text, '') AS actor_id, coalesce(u.email::text, '') AS actor_email,
                           a.actor_role, a.action, a.entity, a.entity_id, a.ip, a.details::text AS details,
                           coalesce(a.chain_position::text, '') AS chain_position, coalesce(a.hash, '') AS hash
                    FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
                    \(fragment: whereClause(filter, actor: actor, beforeID: bound))
                    ORDER BY a.id DESC LIMIT \(batchSize)
                    """)
            }
            guard !rows.isEmpty else { return }
            var batch: [[String]] = []
            batch.reserveCapacity(rows.count)
            for row in rows {
                batch.append(try (0..<Self.exportColumns.count).map { try row.decode($0, as: String.self) })
            }
            try write(batch)
            before = rows.count < batchSize ? nil : Int64(batch[batch.count - 1][0])
        }
    }

    // MARK: - Canonical form

    static let canonicalColumns =
        "id, (extract(epoch FROM at) * 1000000)::bigint AS at_micros, actor_id, actor_role, action, entity, entity_id, ip, details::text AS details_text"

    /// SHA-256 over a JSON array of every field, the position and the previous hash: unambiguous
    /// whatever characters the fields hold.
    static func hash(row: PostgresRow, position: Int64, previous: String) throws -> String {
        let actor: Int64? = try row.decode("actor_id")
        let fields: [String] = [
            String(position), String(try row.decode("id", as: Int64.self)), String(try row.decode("at_micros", as: Int64.self)),
            actor.map(String.init) ?? "", try row.decode("actor_role"), try row.decode("action"), try row.decode("entity"),
            try row.decode("entity_id"), try row.decode("ip"), try row.decode("details_text"), previous,
        ]
        let canonical = try JSONEncoder().encode(fields)
        return SHA256.hash(data: canonical).lowercaseHex
    }

    static func json(_ details: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(details), as: UTF8.self)) ?? "{}"
    }
}
