import ArgumentParser
import Foundation
import Passwords

/// `clinic hash-helper`: the low-priority process `clinic serve` runs password hashing in (`HashingProcess`).
/// Not for people: it speaks a binary protocol on standard input and output.
struct HashHelper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-helper",
        abstract: "Internal: the password-hashing process clinic serve starts.",
        shouldDisplay: false)

    @Option(help: "Hashing threads.") var threads = 1
    @Option(help: "The server's process id; the helper ends with it.") var parent: Int32

    func run() throws {
        HashingHelper.main(threads: threads, parent: parent)
    }
}
