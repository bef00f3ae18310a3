import Foundation
import Mustache

/// Renders the Mustache templates of `Templates/` into HTML, escaped by default.
///
/// Templates are read once at start; with `reloadOnChange` (development) the directory is
/// re-read whenever a file's modification time changes, so edits show without a restart.
public final class TemplateRenderer: @unchecked Sendable {
    /// A template that is missing or does not parse; raised at start so a broken file never reaches a user.
    public struct TemplateError: Error, CustomStringConvertible {
        public let description: String
    }

    private let directory: String
    private let reloadOnChange: Bool
    private let lock = NSLock()
    private var library: MustacheLibrary
    private var fingerprint: [String: Date]

    /// Loads every `*.mustache` file of `directory`.
    /// - Throws: `TemplateError` when the directory cannot be read or a template does not parse.
    public init(directory: String, reloadOnChange: Bool = false) throws {
        self.directory = directory
        self.reloadOnChange = reloadOnChange
        (library, fingerprint) = try Self.load(directory)
    }

    /// Renders `name` with `context` (dictionaries, arrays, strings, numbers, booleans).
    /// - Throws: `TemplateError` when no template has that name.
    public func render(_ name: String, _ context: [String: Any]) throws -> String {
        let library = currentLibrary()
        guard let html = library.render(context, withTemplate: name) else {
            throw TemplateError(description: "no template named \(name)")
        }
        return html
    }

    private func currentLibrary() -> MustacheLibrary {
        // Without reloading the library never changes after init: no lock on the hot path.
        guard reloadOnChange else { return library }
        lock.lock()
        defer { lock.unlock() }
        if let files = try? Self.modificationDates(directory), files != fingerprint,
           let fresh = try? Self.load(directory) {
            (library, fingerprint) = fresh
        }
        return library
    }

    private static func modificationDates(_ directory: String) throws -> [String: Date] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        var dates: [String: Date] = [:]
        for name in names {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            dates[name] = attributes[.modificationDate] as? Date ?? .distantPast
        }
        return dates
    }

    private static func load(_ directory: String) throws -> (MustacheLibrary, [String: Date]) {
        let dates: [String: Date]
        do { dates = try modificationDates(directory) } catch {
            throw TemplateError(description: "cannot read templates in \(directory): \(error)")
        }
        var library = MustacheLibrary()
        for name in dates.keys.sorted() {
            let path = directory + "/" + name
            guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw TemplateError(description: "cannot read \(path)")
            }
            do {
                try library.register(MustacheTemplate(string: text), named: String(name.dropLast(".mustache".count)))
            } catch {
                throw TemplateError(description: "\(path) does not parse: \(error)")
            }
        }
        return (library, dates)
    }
}
