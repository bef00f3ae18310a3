import HTTPServer

extension App {
    /// The landing page, or the role's home for a signed-in user.
    func home(_ ctx: RequestContext) throws -> Response {
        if let user = ctx.user { return ctx.redirect(to: Routes.home(for: user.role)) }
        let clinics = try database.withConnection { db in try self.clinics.summaries(on: db) }
        return try ctx.page("home", title: ctx.t("home.title"), [
            "clinics": clinics.map { ["name": $0.name, "address": $0.address, "timezone": $0.timeZone,
                                      "doctors": ctx.t("home.doctor_count", ["count": String($0.doctorCount)])] },
            "hasClinics": !clinics.isEmpty,
        ])
    }
}
