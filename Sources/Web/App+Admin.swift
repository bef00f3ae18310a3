import Foundation
import HTTPServer
import Scheduling
import Storage
import Views

/// Settings of the admin pages.
enum AdminLimits {
    static let usersPerPage = 25
    static let appointmentsPerPage = 50
    static let auditPerPage = 50
    /// Longest dashboard period: a year and a day keeps the per-day chart readable.
    static let maximumPeriodDays = 366
    static let defaultPeriodDays = 30
    static let filterText = 200
}

extension App {
    /// Routes of admin oversight (issue 7). `/admin` and `/admin/audit` are registered in
    /// `App+Routes.swift` and handled by `adminHome` / `adminAudit` in `App+Homes.swift`.
    func registerAdminRoutes(_ router: inout Router) {
        router.add("GET", Routes.adminAuditCSV, .role(.admin)) { [unowned self] in try adminAuditCSV($0) }

        router.add("GET", Routes.adminUsers, .role(.admin)) { [unowned self] in try adminUsers($0) }
        router.add("POST", Routes.adminUsers, .role(.admin)) { [unowned self] in try createAccount($0) }
        // `new` before `{id}`: the router takes the first match.
        router.add("GET", Routes.adminNewUser, .role(.admin)) { [unowned self] in try showNewAccount($0) }
        router.add("POST", Routes.adminNewUser, .role(.admin)) { [unowned self] in try createAccount($0) }
        router.add("GET", Routes.adminUsers + "/{id}", .role(.admin)) { [unowned self] in try adminUser($0) }
        router.add("POST", Routes.adminUsers + "/{id}", .role(.admin)) { [unowned self] in try updateAccount($0) }
        for action in AdminUserAction.allCases {
            router.add("POST", Routes.adminUsers + "/{id}/" + action.rawValue, .role(.admin)) { [unowned self] in
                try accountAction($0, action)
            }
        }

        router.add("GET", Routes.adminAppointments, .role(.admin)) { [unowned self] in try adminAppointments($0) }
        router.add("GET", Routes.adminAppointmentsCSV, .role(.admin)) { [unowned self] in try adminAppointmentsCSV($0) }
        router.add("GET", Routes.adminAppointments + "/{id}", .role(.admin)) { [unowned self] in try adminAppointment($0) }
        router.add("POST", Routes.adminAppointments + "/{id}/status", .role(.admin)) { [unowned self] in
            try adminChangeAppointmentStatus($0)
        }
    }

    /// Every GET path of the admin area, for navigation and the access tests.
    static let adminPages = [Routes.adminHome, Routes.adminUsers, Routes.adminAppointments, Routes.adminAudit]

    /// The admin area's sub-navigation: oversight pages and the practice settings of issue 5.
    func adminNavigation(_ ctx: RequestContext) -> [[String: String]] {
        let links: [(String, String)] = [
            (Routes.adminHome, "admin.nav.dashboard"), (Routes.adminUsers, "admin.nav.users"),
            (Routes.adminAppointments, "admin.nav.appointments"), (Routes.adminAudit, "admin.nav.audit"),
            (Routes.adminClinics, "admin.nav.clinics"), (Routes.adminAppointmentTypes, "admin.nav.types"),
            (Routes.adminSettings, "admin.nav.settings"),
        ]
        return links.map { href, key in
            var link = ["href": href, "label": ctx.t(key)]
            if ctx.request.path == href { link["current"] = "page" }
            return link
        }
    }

    /// Renders an admin page with the admin navigation.
    func adminPage(_ ctx: RequestContext, _ template: String, title: String, status: Int = 200,
                   _ values: [String: Any]) throws -> Response {
        var values = values
        values["adminNav"] = adminNavigation(ctx)
        return try ctx.page(template, title: title, status: status, values)
    }

    // MARK: - Shared input handling

    /// A query value trimmed and cut to a sane length; nil when empty.
    static func filterText(_ query: FormData, _ name: String) -> String? {
        let value = query.trimmed(name)
        return value.isEmpty ? nil : String(value.prefix(AdminLimits.filterText))
    }

    /// A positive id from the query; nil when absent or malformed (a hand-edited URL shows everything).
    static func filterID(_ query: FormData, _ name: String) -> Int64? {
        Int64(query.trimmed(name)).flatMap { $0 > 0 ? $0 : nil }
    }

    /// A YYYY-MM-DD date from the query: `.none` when empty, `.invalid` when malformed.
    enum DateInput: Equatable {
        case none
        case date(LocalDate)
        case invalid
    }

    static func dateInput(_ query: FormData, _ name: String) -> DateInput {
        let text = query.trimmed(name)
        if text.isEmpty { return .none }
        guard text.count == 10, let date = LocalDate(iso: text), (1900...9999).contains(date.year) else { return .invalid }
        return .date(date)
    }

    /// The 1-based page number of the query (1 when absent or malformed).
    static func pageNumber(_ query: FormData) -> Int {
        guard let page = Int(query.trimmed("page")), page >= 1, page <= 1_000_000 else { return 1 }
        return page
    }

    /// Pager links for offset pages; `page` is already clamped to `1...pages`.
    func pager(_ ctx: RequestContext, page: Int, total: Int, perPage: Int, link: (Int) -> String) -> [String: Any] {
        let pages = max(1, (total + perPage - 1) / perPage)
        var values: [String: Any] = [
            "summary": ctx.t("admin.pager.summary", ["page": String(page), "pages": String(pages), "total": String(total)]),
        ]
        if page > 1 {
            values["first"] = link(1)
            values["previous"] = link(page - 1)
        }
        if page < pages {
            values["next"] = link(page + 1)
            values["last"] = link(pages)
        }
        return values
    }

    /// "12.5 %" with one decimal.
    static func percent(_ ratio: Double) -> String { String(format: "%.1f %%", ratio * 100) }

    /// A streamed CSV download: BOM and header row, then whatever `rows` produces.
    func csvResponse(_ ctx: RequestContext, filename: String, header: [String],
                     rows: @escaping @Sendable (_ write: ([UInt8]) throws -> Void) throws -> Void) -> Response {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "text/csv; charset=utf-8")
        // RFC 6266: a fixed ASCII file name chosen by code, so no quoting issues.
        headers.set("Content-Disposition", "attachment; filename=\"\(filename)\"")
        let logger = self.logger
        return ctx.finish(Response(status: 200, headers: headers) { write in
            var first = CSV.byteOrderMark
            CSV.append(header, to: &first)
            try write(first)
            do {
                try rows(write)
            } catch let error as StreamWriteError {
                throw error
            } catch {
                logger.error("CSV export failed", metadata: ["file": "\(filename)", "error": "\(error)"])
                throw error
            }
        })
    }

    /// Audits a CSV export with the filters it was made with, so the log shows what left the system.
    /// - Throws: `PostgresError` on database failure.
    func recordExport(_ ctx: RequestContext, action: String, entity: String, query: FormData, filters: [String]) throws {
        var details: [String: String] = [:]
        for name in filters where !query.trimmed(name).isEmpty {
            details[name] = String(query.trimmed(name).prefix(AdminLimits.filterText))
        }
        try database.transaction { db in
            try audit.record(actor: ctx.actor, action: action, entity: entity, details: details, on: db)
        }
    }
}
