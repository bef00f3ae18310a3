import Foundation

/// Renders the Mustache templates of `Templates/` into HTML, escaped by default (see `Template`).
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
    private var library: [String: Template]
    private var fingerprint: [String: Date]

    /// Loads every `*.mustache` file of `directory`.
    /// - Throws: `TemplateError` when the directory cannot be read or a template does not parse.
    public init(directory: String, reloadOnChange: Bool = false) throws {
        self.directory = directory
        self.reloadOnChange = reloadOnChange
        (library, fingerprint) = try Self.load(directory)
    }

    /// Renders `name` with `context`: dictionaries (`[String: Any]`, `[String: String]`), arrays,
    /// strings, numbers and booleans; a `nil` optional counts as missing.
    /// - Throws: `TemplateError` when no template has that name or its partials nest too deep.
    public func render(_ name: String, _ context: [String: Any]) throws -> String {
        let library = currentLibrary()
        guard let template = library[name] else {
            throw TemplateError(description: "no template named \(name)")
        }
        var rendering = Template.Rendering(context: context, partials: library)
        try template.render(&rendering)
        return String(decoding: rendering.output, as: UTF8.self)
    }

    private func currentLibrary() -> [String: Template] {
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

    private static func load(_ directory: String) throws -> ([String: Template], [String: Date]) {
        let dates: [String: Date]
        do { dates = try modificationDates(directory) } catch {
            throw TemplateError(description: "cannot read templates in \(directory): \(error)")
        }
        var library: [String: Template] = [:]
        for name in dates.keys.sorted() {
            let path = directory + "/" + name
            guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw TemplateError(description: "cannot read \(path)")
            }
            do {
                library[String(name.dropLast(".mustache".count))] = try Template(parsing: text)
            } catch {
                throw TemplateError(description: "\(path) does not parse: \(error)")
            }
        }
        // A partial that does not exist is a broken page; say so at start, not on the request that needs it.
        for (name, template) in library {
            for partial in template.partialNames.sorted() where library[partial] == nil {
                throw TemplateError(description: "\(directory)/\(name).mustache includes {{> \(partial)}}, which does not exist")
            }
        }
        return (library, dates)
    }
}
