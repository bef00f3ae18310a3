import Foundation
import Logging

/// Why migrations could not be applied; the description is written for the person starting the server.
public enum MigrationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// An applied migration's file no longer matches the checksum recorded when it was applied.
    case checksumMismatch(version: String)
    /// Two files share one version number.
    case duplicateVersion(String)
    /// The migrations directory could not be read.
    case unreadableDirectory(String)
    /// A migration file failed; its transaction was rolled back and nothing of it remains.
    case failed(version: String, file: String, error: PostgresError)

    /// A message that says what is wrong and what to do about it.
    public var description: String {
        switch self {
        case .checksumMismatch(let version):
            return "Migration \(version) was edited after it was applied: its SHA-256 no longer matches schema_migrations. "
                + "Restore the original file and put the change in a new migration."
        case .duplicateVersion(let version):
            return "Two migration files have version \(version); give each file its own number."
        case .unreadableDirectory(let path):
            return "Cannot read the migrations directory \(path)."
        case .failed(let version, let file, let error):
            return "Migration \(version) (\(file)) failed and was rolled back: \(error)"
        }
    }

    /// Same as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}

/// Applies `Migrations/NNNN_name.sql` files in order, each in its own transaction.
///
/// Each applied file is recorded in `schema_migrations(version, checksum, applied_at)` with the
/// SHA-256 of its bytes; an applied file that changed stops start-up (`checksumMismatch`). A
/// session advisory lock serialises processes that start together, so each file runs once.
public struct Migrator {
    /// A file found in the migrations directory.
    struct Migration {
        let version: String
        let number: Int
        let fileName: String
        let contents: [UInt8]
    }

    /// Key of the advisory lock migrations hold; an arbitrary constant ("clinicmg" in ASCII) that only this code uses.
    static let advisoryLockKey: Int64 = 0x636c_696e_6963_6d67

    private let directory: String
    private let logger: Logger

    /// Creates a migrator for the `.sql` files in `directory` (files not named `NNNN_name.sql` are ignored).
    public init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// Applies every pending migration and returns the versions applied now, in order.
    ///
    /// Throws `MigrationError.checksumMismatch` before applying anything when an applied file was
    /// edited, `MigrationError.failed` when a file's SQL fails, or a `PostgresError`.
    @discardableResult
    public func migrate(_ pool: PostgresPool) throws -> [String] {
        let migrations = try loadMigrations()
        return try pool.withConnection { connection in
            // Session-level lock on this one connection: held across the per-file transactions and
            // released automatically if the connection dies.
            // Waiting for another process's migrations, or a long migration, must not hit the
            // pool's statement timeout; the connection's own setting is restored afterwards.
            let timeout = try connection.query("SELECT current_setting('statement_timeout') AS t").first?.decode("t", as: String.self) ?? "0"
            try connection.query("SELECT set_config('statement_timeout', '0', false)")
            defer { _ = try? connection.query("SELECT set_config('statement_timeout', \(timeout), false)") }
            try connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
            defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))") }
            return try migrate(migrations, on: connection)
        }
    }

    private func migrate(_ migrations: [Migration], on connection: PostgresConnection) throws -> [String] {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var recorded = [String: String]()
        for row in try connection.query("SELECT version, checksum FROM schema_migrations") {
            recorded[try row.decode("version")] = try row.decode("checksum", as: String.self)
        }
        var pending = [(Migration, String)]()
        for migration in migrations {
            let checksum = try Self.sha256Hex(migration.contents, on: connection)
            if let applied = recorded.removeValue(forKey: migration.version) {
                guard applied == checksum else {
                    logger.critical("applied migration was edited", metadata: ["version": "\(migration.version)", "file": "\(migration.fileName)"])
                    throw MigrationError.checksumMismatch(version: migration.version)
                }
            } else {
                pending.append((migration, checksum))
            }
        }
        for version in recorded.keys.sorted() {
            logger.warning("applied migration has no file", metadata: ["version": "\(version)"])
        }
        var applied = [String]()
        for (migration, checksum) in pending {
            do {
                try connection.transaction { connection in
                    try connection.executeScript(String(decoding: migration.contents, as: UTF8.self))
                    try connection.execute("INSERT INTO schema_migrations (version, checksum) VALUES (\(migration.version), \(checksum))")
                }
            } catch let error as PostgresError where !error.isConnectionLevel {
                throw MigrationError.failed(version: migration.version, file: migration.fileName, error: error)
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "file": "\(migration.fileName)"])
            applied.append(migration.version)
        }
        return applied
    }

    /// Reads and orders the migration files by their numeric prefix.
    ///
    /// Throws `duplicateVersion` when two files share a number, `unreadableDirectory` when files cannot be read.
    func loadMigrations() throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError.unreadableDirectory(directory)
        }
        var migrations = [Migration]()
        for name in names where name.hasSuffix(".sql") {
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, name.dropFirst(digits.count).first == "_", let number = Int(digits) else { continue }
            guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) else {
                throw MigrationError.unreadableDirectory(directory)
            }
            migrations.append(Migration(version: String(digits), number: number, fileName: name, contents: Array(data)))
        }
        migrations.sort { $0.number < $1.number }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.number == next.number {
            throw MigrationError.duplicateVersion(next.version)
        }
        return migrations
    }

    /// SHA-256 of the file bytes, computed by the server (`sha256(bytea)`, PostgreSQL 11+): the
    /// Postgres layer has no crypto dependency and the bytes are sent as a parameter anyway.
    static func sha256Hex(_ bytes: [UInt8], on connection: PostgresConnection) throws -> String {
        guard let row = try connection.query("SELECT encode(sha256(\(bytes)::bytea), 'hex') AS digest").first else {
            throw PostgresError.decoding("sha256 returned no row")
        }
        return try row.decode("digest")
    }
}
