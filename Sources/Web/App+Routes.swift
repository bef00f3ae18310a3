import HTTPServer

extension App {
    /// The route table (DESIGN.md §4).
    func registerRoutes(_ router: inout Router) {
        router.add("GET", Routes.home) { [unowned self] in try home($0) }
        router.add("GET", Routes.healthz) { _ in Response.text("ok") }
        router.add("GET", Routes.readyz) { [unowned self] _ in
            database.isReachable() ? Response.text("ready") : Response.text("database unavailable", status: 503)
        }

        // Accounts
        router.add("GET", Routes.login) { [unowned self] in try showLogin($0) }
        router.add("POST", Routes.login) { [unowned self] in try login($0) }
        router.add("POST", Routes.logout, .signedIn) { [unowned self] in try logout($0) }
        router.add("GET", Routes.register) { [unowned self] in try showRegister($0) }
        router.add("POST", Routes.register) { [unowned self] in try register($0) }
        for role in [Role.patient, .doctor, .admin] {
            router.add("GET", Routes.profile(for: role), .role(role)) { [unowned self] in try showProfile($0) }
            router.add("POST", Routes.profile(for: role), .role(role)) { [unowned self] in try updateProfile($0) }
            router.add("POST", Routes.password(for: role), .role(role)) { [unowned self] in try changePassword($0) }
        }

        // Role homes
        router.add("GET", Routes.adminHome, .role(.admin)) { [unowned self] in try adminHome($0) }
        router.add("GET", Routes.adminAudit, .role(.admin)) { [unowned self] in try adminAudit($0) }

        // Features register their own routes, each from its own file.
        registerAvailabilityRoutes(&router)
        registerBookingRoutes(&router)
        registerAdminRoutes(&router)
    }
}

import Scheduling
