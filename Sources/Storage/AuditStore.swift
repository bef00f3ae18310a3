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
    public struct Filter: Sendable, Equatable {
        public var actor: String?
        public var action: String?
        public var entity: String?
        public var from: Date?
        public var to: Date?
        public init(actor: String? = nil, action: String? = nil, entity: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.actor = actor
            self.action = action
            self.entity = entity
            self.from = from
            self.to = to
        }
    }

    /// Newest first, `limit` entries older than `beforeID` (keyset pagination: fast at any depth).
    /// - Throws: `PostgresError` on database failure.
    public func list(_ filter: Filter, beforeID: Int64? = nil, limit: Int, on db: PostgresConnection) throws -> [AuditEntry] {
        try db.query("""
            SELECT a.id, a.at, a.actor_id, u.email::text AS actor_email, a.actor_role, a.action, a.entity, a.entity_id,
                   a.ip, a.details::text AS details, a.hash IS NOT NULL AS sealed
            FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
            WHERE (\(filter.actor)::text IS NULL OR u.email = \(filter.actor)::citext OR a.actor_id::text = \(filter.actor))
              AND (\(filter.action)::text IS NULL OR a.action = \(filter.action))
              AND (\(filter.entity)::text IS NULL OR a.entity = \(filter.entity))
              AND (\(filter.from)::timestamptz IS NULL OR a.at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR a.at < \(filter.to))
              AND (\(beforeID)::bigint IS NULL OR a.id < \(beforeID))
            ORDER BY a.id DESC LIMIT \(limit)
            """).map { row in
            AuditEntry(id: try row.decode("id"), at: try row.decode("at"), actorID: try row.decode("actor_id"),
                       actorEmail: try row.decode("actor_email"), actorRole: try row.decode("actor_role"),
                       action: try row.decode("action"), entity: try row.decode("entity"),
                       entityID: try row.decode("entity_id"), ip: try row.decode("ip"),
                       details: try row.decode("details"), sealed: try row.decode("sealed"))
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
        return SHA256.hash(data: canonical).map { String(format: "%02x", $0) }.joined()
    }

    static func json(_ details: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(details), as: UTF8.self)) ?? "{}"
    }
}
