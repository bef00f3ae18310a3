import Foundation
import HTTPServer
import Scheduling
import Storage
import Views


extension App {
    // MARK: - Dashboard

    /// `/admin?from=&to=&clinic=&doctor=`: statistics of a period (default: the last 30 days, today included).
    ///
    /// Days are the calendar days of one reporting zone, named on the page: the chosen clinic's, else the
    /// zone every clinic shares, else UTC. Malformed input re-renders the form with messages (422) and the
    /// default period.
    func adminHome(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let clinicID = Self.filterID(query, "clinic"), doctorID = Self.filterID(query, "doctor")
        let (clinics, doctors, counts) = try database.withConnection { db in
            (try statisticsStore.clinicChoices(on: db), try statisticsStore.doctorChoices(on: db), try users.countByRole(on: db))
        }
        let zoneName: String
        if let clinic = clinics.first(where: { $0.id == clinicID }) {
            zoneName = clinic.zone
        } else if Set(clinics.map(\.zone)).count == 1, let only = clinics.first {
            zoneName = only.zone
        } else {
            zoneName = "UTC"
        }
        let zone = TimeZone(identifier: zoneName) ?? TimeZone(identifier: "UTC")!
        let today = LocalDate.of(ctx.now, in: zone)

        var errors: [String: String] = [:]
        var from = today.adding(days: -(AdminLimits.defaultPeriodDays - 1)), to = today
        let fromInput = Self.dateInput(query, "from"), toInput = Self.dateInput(query, "to")
        if case .date(let date) = fromInput { from = date }
        if case .date(let date) = toInput { to = date }
        if fromInput == .invalid { errors["from"] = ctx.t("admin.field.date_invalid") }
        if toInput == .invalid { errors["to"] = ctx.t("admin.field.date_invalid") }
        if errors.isEmpty {
            if from > to {
                errors["to"] = ctx.t("admin.field.range_order")
            } else if from.days(until: to) + 1 > AdminLimits.maximumPeriodDays {
                errors["to"] = ctx.t("admin.field.range_too_long", ["max": String(AdminLimits.maximumPeriodDays)])
            }
        }
        let values = ["from": String(query.trimmed("from").prefix(20)), "to": String(query.trimmed("to").prefix(20))]
        if !errors.isEmpty {
            from = today.adding(days: -(AdminLimits.defaultPeriodDays - 1))
            to = today
        }

        let days = (0...from.days(until: to)).map { from.adding(days: $0) }
        let range = TimeRange(start: startOfDay(from, in: zone), end: startOfDay(to.adding(days: 1), in: zone))
        let filter = StatisticsFilter(range: range, zone: zone.identifier, clinicID: clinicID, doctorID: doctorID)
        let (stats, todayCount) = try database.withConnection { db in
            (try statisticsStore.statistics(filter, days: days, now: ctx.now, on: db),
             try statisticsStore.countNotCancelled(filter, in: today.range(in: zone), on: db))
        }

        let statusRows = AppointmentStatus.allCases.map { status -> [String: Any] in
            ["status": status.rawValue, "label": ctx.t("admin.status.\(status.rawValue)"), "count": stats.byStatus[status] ?? 0]
        }
        let dayRows = stats.perDay.map { day -> [String: Any] in
            ["date": day.date.iso, "label": TimeFormatting.shortDate(startOfDay(day.date, in: zone).addingTimeInterval(12 * 3600), in: zone),
             "count": day.count]
        }
        let period = ctx.t("admin.dashboard.period", ["from": from.iso, "to": to.iso])
        let dayChart = SVGChart.bars(
            id: "chart-days", title: ctx.t("admin.dashboard.per_day_chart", ["period": period]),
            description: ctx.t("admin.dashboard.per_day_desc", ["total": String(stats.total), "days": String(days.count),
                                                               "max": String(stats.perDay.map(\.count).max() ?? 0)]),
            points: stats.perDay.map { SVGChart.Point(label: String($0.date.iso.suffix(5)), value: Double($0.count)) })
        let statusChart = SVGChart.bars(
            id: "chart-status", title: ctx.t("admin.dashboard.status_chart", ["period": period]),
            description: AppointmentStatus.allCases.map { "\(ctx.t("admin.status.\($0.rawValue)")): \(stats.byStatus[$0] ?? 0)" }
                .joined(separator: ", "),
            points: AppointmentStatus.allCases.map { SVGChart.Point(label: ctx.t("admin.status.\($0.rawValue)"), value: Double(stats.byStatus[$0] ?? 0)) },
            size: SVGChart.Size(width: 720, height: 220))

        return try adminPage(ctx, "admin_home", title: ctx.t("admin.dashboard.title"), status: errors.isEmpty ? 200 : 422, [
            "action": Routes.adminHome,
            "values": values, "errors": errors, "hasErrors": !errors.isEmpty,
            "clinics": clinics.map { ["value": String($0.id), "label": $0.name, "selected": $0.id == clinicID] },
            "doctors": doctors.map { ["value": String($0.id), "label": $0.name, "selected": $0.id == doctorID] },
            "period": period, "zone": TimeFormatting.zoneName(zone, at: ctx.now),
            "total": stats.total, "today": todayCount, "todayDate": today.iso,
            "averagePerDay": String(format: "%.1f", stats.averagePerDay),
            "noShowRate": Self.percent(stats.noShowRate),
            "noShowDetail": ctx.t("admin.dashboard.of", ["count": String(stats.noShows), "base": String(stats.dueNotCancelled)]),
            "lateRate": Self.percent(stats.lateCancellationRate),
            "lateDetail": ctx.t("admin.dashboard.of", ["count": String(stats.lateCancellations), "base": String(stats.total)]),
            "statuses": statusRows,
            "types": stats.byType.map { ["name": $0.name ?? ctx.t("admin.dashboard.no_type"), "count": $0.count] },
            "hasTypes": !stats.byType.isEmpty,
            "days": dayRows,
            "utilisation": stats.utilisation.map { row -> [String: Any] in
                ["name": row.name, "booked": row.bookedMinutes, "offered": row.offeredMinutes, "ratio": Self.percent(row.ratio)]
            },
            "hasUtilisation": !stats.utilisation.isEmpty,
            "dayChart": dayChart, "statusChart": statusChart,
            "patients": counts[.patient] ?? 0, "doctorCount": counts[.doctor] ?? 0, "admins": counts[.admin] ?? 0,
        ])
    }

    // MARK: - Audit log

    /// What the audit page and its export read from the query: the filter, or field messages.
    private func auditFilter(_ ctx: RequestContext, _ query: FormData) -> (AuditStore.Filter, [String: String]) {
        var errors: [String: String] = [:]
        var filter = AuditStore.Filter(actor: Self.filterText(query, "actor"), action: Self.filterText(query, "action"),
                                       entity: Self.filterText(query, "entity"), entityID: Self.filterText(query, "entity_id"))
        // Dates are UTC days (the log's own clock; the page says so): `to` includes its whole day.
        let utc = TimeZone(identifier: "UTC")!
        switch Self.dateInput(query, "from") {
        case .date(let date): filter.from = startOfDay(date, in: utc)
        case .invalid: errors["from"] = ctx.t("admin.field.date_invalid")
        case .none: break
        }
        switch Self.dateInput(query, "to") {
        case .date(let date): filter.to = startOfDay(date.adding(days: 1), in: utc)
        case .invalid: errors["to"] = ctx.t("admin.field.date_invalid")
        case .none: break
        }
        if let from = filter.from, let to = filter.to, from >= to { errors["to"] = ctx.t("admin.field.range_order") }
        return (filter, errors)
    }

    private static let auditFilterNames = ["actor", "action", "entity", "entity_id", "from", "to"]

    /// `/admin/audit`: the trail newest first with filters, keyset paging (`before=<id>`) and, on request
    /// (`verify=1`), the result of walking the whole hash chain.
    func adminAudit(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let (filter, errors) = auditFilter(ctx, query)
        let before = Self.filterID(query, "before")
        let pageSize = AdminLimits.auditPerPage
        try audit.seal(pool: database)
        var entries: [AuditEntry] = []
        if errors.isEmpty {
            entries = try database.withConnection { db in try audit.list(filter, beforeID: before, limit: pageSize + 1, on: db) }
        }
        var integrity: String?
        var broken = false
        if query["verify"] == "1" {
            switch try audit.verify(pool: database) {
            case .intact(let count): integrity = ctx.t("admin.audit.intact", ["count": String(count)])
            case .broken(let position, let id, let reason):
                broken = true
                integrity = ctx.t("admin.audit.broken", ["position": String(position), "id": id.map(String.init) ?? "?", "reason": reason])
            }
        }
        let filterParameters = Self.auditFilterNames.map { ($0, String(query.trimmed($0).prefix(AdminLimits.filterText))) }
        let shown = entries.prefix(pageSize)
        var nextLink: String?
        if entries.count > pageSize, let last = shown.last {
            nextLink = Routes.withQuery(Routes.adminAudit, filterParameters + [("before", String(last.id))])
        }
        let newest: String? = before == nil ? nil : Routes.withQuery(Routes.adminAudit, filterParameters)
        let formatter = ISO8601DateFormatter()
        return try adminPage(ctx, "admin_audit", title: ctx.t("admin.audit.title"), status: errors.isEmpty ? 200 : 422, [
            "action": Routes.adminAudit,
            "entries": shown.map { entry -> [String: Any] in
                ["id": entry.id, "at": formatter.string(from: entry.at), "actor": entry.actorEmail ?? entry.actorRole,
                 "role": entry.actorRole, "action": entry.action, "entity": entry.entity, "entityID": entry.entityID,
                 "ip": entry.ip, "details": entry.details, "unsealed": !entry.sealed]
            },
            "hasEntries": !shown.isEmpty,
            "values": Dictionary(uniqueKeysWithValues: filterParameters),
            "errors": errors, "hasErrors": !errors.isEmpty,
            "integrity": integrity as Any, "broken": broken,
            "next": nextLink as Any,
            "newest": newest as Any,
            "verifyLink": Routes.withQuery(Routes.adminAudit, filterParameters + [("verify", "1")]),
            "csvLink": Routes.withQuery(Routes.adminAuditCSV, filterParameters),
        ])
    }

    /// `/admin/audit.csv`: every entry matching the page's filters, newest first, streamed in keyset
    /// batches so a million rows never sit in memory. The export itself is audited.
    func adminAuditCSV(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let (filter, errors) = auditFilter(ctx, query)
        guard errors.isEmpty else { throw AppError.badRequest }
        try recordExport(ctx, action: "audit.exported", entity: "audit_log", query: query, filters: Self.auditFilterNames)
        let trail = self.audit, database = self.database
        let stamp = LocalDate.of(ctx.now, in: TimeZone(identifier: "UTC")!).iso
        return csvResponse(ctx, filename: "audit-log-\(stamp).csv", header: AuditStore.exportColumns) { write in
            try trail.seal(pool: database)
            try trail.export(filter, pool: database) { batch in
                var bytes: [UInt8] = []
                bytes.reserveCapacity(batch.count * 200)
                for row in batch { CSV.append(row, to: &bytes) }
                try write(bytes)
            }
        }
    }
}
