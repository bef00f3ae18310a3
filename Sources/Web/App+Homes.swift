import Foundation
import HTTPServer
import Storage

extension App {
    /// The admin dashboard.
    func adminHome(_ ctx: RequestContext) throws -> Response {
        let counts = try database.withConnection { db in try users.countByRole(on: db) }
        return try ctx.page("admin_home", title: ctx.t("admin.title"), [
            "patients": counts[.patient] ?? 0, "doctors": counts[.doctor] ?? 0, "admins": counts[.admin] ?? 0,
        ])
    }

    /// The audit trail, newest first, with keyset paging and an integrity check on request.
    func adminAudit(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        func nonEmpty(_ name: String, max: Int = 200) -> String? {
            let value = query.trimmed(name)
            return value.isEmpty ? nil : String(value.prefix(max))
        }
        let filter = AuditStore.Filter(actor: nonEmpty("actor"), action: nonEmpty("action"), entity: nonEmpty("entity"))
        let before = nonEmpty("before").flatMap { Int64($0) }
        let pageSize = 50
        try audit.seal(pool: database)
        let entries = try database.withConnection { db in
            try audit.list(filter, beforeID: before, limit: pageSize + 1, on: db)
        }
        var integrity: String?
        if query["verify"] == "1" {
            switch try audit.verify(pool: database) {
            case .intact(let count): integrity = ctx.t("audit.intact", ["count": String(count)])
            case .broken(let position, let id, let reason):
                integrity = ctx.t("audit.broken", ["position": String(position), "id": id.map(String.init) ?? "?", "reason": reason])
            }
        }
        let formatter = ISO8601DateFormatter()
        let shown = entries.prefix(pageSize)
        var nextLink: String?
        if entries.count > pageSize, let last = shown.last {
            var parts = ["before=\(last.id)"]
            for name in ["actor", "action", "entity"] {
                if let value = nonEmpty(name) { parts.append("\(name)=\(FormData.percentEncode(value))") }
            }
            nextLink = Routes.adminAudit + "?" + parts.joined(separator: "&")
        }
        return try ctx.page("admin_audit", title: ctx.t("audit.title"), [
            "entries": shown.map { entry -> [String: Any] in
                ["id": entry.id, "at": formatter.string(from: entry.at), "actor": entry.actorEmail ?? entry.actorRole,
                 "role": entry.actorRole, "action": entry.action, "entity": entry.entity, "entityID": entry.entityID,
                 "ip": entry.ip, "details": entry.details]
            },
            "filter": ["actor": filter.actor ?? "", "action": filter.action ?? "", "entity": filter.entity ?? ""],
            "integrity": integrity as Any,
            "next": nextLink as Any,
            "verifyLink": Routes.adminAudit + "?verify=1",
        ])
    }
}
