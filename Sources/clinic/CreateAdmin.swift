import ArgumentParser
import Foundation
import Passwords
import Postgres
import Scheduling
import Storage

/// `clinic create-admin`: creates an administrator; the password is read from standard input.
struct CreateAdmin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-admin",
        abstract: "Create an administrator account. Reads the password from standard input (one line).")

    @OptionGroup var common: CommonOptions
    @Option(help: "Email address of the new administrator.") var email: String
    @Option(help: "Full name of the new administrator.") var name: String

    func run() throws {
        let logger = common.makeLogger("clinic.create-admin")
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 200 else { throw OperatorError(description: "--name must be 1 to 200 characters") }
        guard email.contains("@"), email.count <= 254 else { throw OperatorError(description: "--email is not an email address") }
        FileHandle.standardError.write(Data("Password (read from standard input): ".utf8))
        guard let password = readLine(strippingNewline: true) else { throw OperatorError(description: "no password on standard input") }
        if let violation = PasswordPolicy().validate(password, email: email, fullName: name) {
            throw OperatorError(description: "password refused by the policy: \(violation)")
        }
        let (url, cluster) = try common.openDatabase(logger: logger)
        defer { cluster?.stop() }
        let pool = PostgresPool(url: url, size: 1, logger: logger)
        defer { pool.close() }
        try Migrator(directory: common.migrationsDirectory, logger: logger).migrate(pool)
        let hash = try PasswordHasher().hash(password)
        do {
            let id = try pool.transaction { db in
                try UserStore().create(NewUser(role: .admin, email: email, passwordHash: hash, fullName: name),
                                       actor: .system, audit: AuditStore(), on: db)
            }
            print("Created administrator \(email) (id \(id)).")
        } catch PostgresError.uniqueViolation {
            throw OperatorError(description: "an account with email \(email) already exists")
        }
    }
}
