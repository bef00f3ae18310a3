import ArgumentParser

/// The `clinic` command: serve the portal or administer its database.
@main
struct Clinic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clinic",
        abstract: "Clinic Portal: patients book appointments, doctors manage availability, admins oversee.",
        discussion: """
            Configuration comes from flags and environment variables; flags win.
            With DATABASE_URL unset, a private PostgreSQL cluster under CLINIC_DATA_DIR (default .data) \
            is started for the command and stopped when it ends.
            """,
        subcommands: [Serve.self, Migrate.self, CreateAdmin.self, SeedDemo.self, HashHelper.self],
        defaultSubcommand: Serve.self
    )
}
