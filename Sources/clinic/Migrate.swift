import ArgumentParser
import Postgres

/// `clinic migrate`: applies pending `Migrations/` files and exits.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations from Migrations/.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let logger = common.makeLogger("clinic.migrate")
        let (url, cluster) = try common.openDatabase(logger: logger)
        defer { cluster?.stop() }
        let pool = PostgresPool(url: url, size: 1, logger: logger)
        defer { pool.close() }
        let applied = try Migrator(directory: common.migrationsDirectory, logger: logger).migrate(pool)
        print(applied.isEmpty ? "Database is up to date." : "Applied: \(applied.joined(separator: ", "))")
    }
}
