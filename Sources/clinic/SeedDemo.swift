import ArgumentParser
import Foundation
import Passwords
import Postgres
import Scheduling
import Storage

/// `clinic seed-demo`: loads the demo clinic (idempotent).
struct SeedDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Load demo data: a clinic, an admin, 3 doctors, 5 patients, four weeks of availability, a few bookings.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Password for every demo account (default: generated once, kept in the data directory, and printed).")
    var password: String?

    func run() throws {
        let logger = common.makeLogger("clinic.seed-demo")
        let (url, cluster) = try common.openDatabase(logger: logger)
        defer { cluster?.stop() }
        let pool = PostgresPool(url: url, size: 1, logger: logger)
        defer { pool.close() }
        try Migrator(directory: common.migrationsDirectory, logger: logger).migrate(pool)
        let password = try DemoData.password(explicit: password, dataDirectory: common.resolvedDataDirectory)
        try DemoData.seed(password: password, pool: pool)
        DemoData.printLogins(password: password)
    }
}

/// Shared by `seed-demo` and `serve --seed-demo`.
enum DemoData {
    /// The demo password: the explicit one, else the one saved on first use, else a new one (saved, mode 600).
    static func password(explicit: String?, dataDirectory: String) throws -> String {
        if let explicit { return explicit }
        let path = dataDirectory + "/demo-password"
        if let saved = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty {
            return saved
        }
        let words = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "island", "juniper",
                     "kestrel", "lagoon", "meadow", "nectar", "orchid", "prairie", "quartz", "river", "summit", "tundra"]
        var generator = SystemRandomNumberGenerator()
        let generated = (0..<4).map { _ in words.randomElement(using: &generator)! }.joined(separator: "-")
            + "-" + String(Int.random(in: 10...99, using: &generator))
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(generated.utf8), attributes: [.posixPermissions: 0o600])
        return generated
    }

    static func seed(password: String, pool: PostgresPool) throws {
        let hasher = PasswordHasher()
        try DemoSeeder(clock: SystemClock(), hash: { try hasher.hash($0) }).seed(password: password, pool: pool)
    }

    static func printLogins(password: String) {
        print("""

            Demo sign-ins (password for all: \(password))
              admin:    \(DemoSeeder.adminEmail)
              doctors:  \(DemoSeeder.doctorEmails.joined(separator: ", "))
              patients: \(DemoSeeder.patientEmails.joined(separator: ", "))

            """)
    }
}
