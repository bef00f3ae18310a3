import ArgumentParser
import Foundation
import Logging
import Postgres

/// Options every command shares: where the database is and how much to log.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection URL (env DATABASE_URL). Unset: a private cluster under the data directory.")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: "Directory for the private cluster and demo credentials (env CLINIC_DATA_DIR, default .data).")
    var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL, default info).")
    var logLevel: String?

    var resolvedDataDirectory: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["CLINIC_DATA_DIR"] ?? ".data"
    }

    func makeLogger(_ label: String) -> Logger {
        let level = (logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"]).flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }

    /// Connects to DATABASE_URL, or starts the private cluster; the caller stops the returned cluster.
    /// - Throws: when the cluster cannot be started.
    func openDatabase(logger: Logger) throws -> (url: String, cluster: EmbeddedPostgres?) {
        if let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            return (url, nil)
        }
        let cluster = EmbeddedPostgres(dataDirectory: resolvedDataDirectory + "/postgres", logger: logger)
        let url = try cluster.start()
        logger.info("private PostgreSQL started", metadata: ["data": "\(resolvedDataDirectory)/postgres"])
        return (url, cluster)
    }

    /// The repository's `Migrations/` directory (flag, env CLINIC_MIGRATIONS, or ./Migrations).
    var migrationsDirectory: String {
        ProcessInfo.processInfo.environment["CLINIC_MIGRATIONS"] ?? "Migrations"
    }
}

/// Reports a failure to the operator without a stack trace and exits non-zero.
struct OperatorError: Error, CustomStringConvertible {
    let description: String
}
