import Foundation

/// Every user-visible string, per language, from `Templates/i18n/<lang>.json`.
///
/// Templates read strings as `{{t.key}}`; code formats parameterised ones with `format`.
/// A second language is one more JSON file: no template changes.
public struct MessageCatalog: @unchecked Sendable {
    /// The catalog of one language: key → text with `{name}` placeholders.
    public typealias Strings = [String: String]

    /// The language used when `Accept-Language` names none we have.
    public let fallbackLanguage: String
    private let languages: [String: Strings]
    private let nestedLanguages: [String: [String: Any]]

    /// Loads `directory/<lang>/*.json`: one folder per language, one file per feature, merged.
    /// - Throws: when the fallback language is missing, a file is not a flat JSON object of strings,
    ///   or two files define the same key.
    public init(directory: String, fallbackLanguage: String = "en") throws {
        var languages: [String: Strings] = [:]
        let manager = FileManager.default
        for language in try manager.contentsOfDirectory(atPath: directory).sorted() {
            let folder = directory + "/" + language
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            var strings: Strings = [:]
            for name in try manager.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".json") {
                let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
                let file = try JSONDecoder().decode(Strings.self, from: data)
                for (key, value) in file {
                    guard strings[key] == nil else {
                        throw TemplateRenderer.TemplateError(description: "message key \(key) defined twice in \(folder)")
                    }
                    strings[key] = value
                }
            }
            languages[language.lowercased()] = strings
        }
        guard languages[fallbackLanguage] != nil else {
            throw TemplateRenderer.TemplateError(description: "no \(fallbackLanguage)/ catalog in \(directory)")
        }
        try self.init(languages: languages, fallbackLanguage: fallbackLanguage)
    }

    /// Builds a catalog from values.
    /// - Throws: when keys clash (see `nested`).
    public init(languages: [String: Strings], fallbackLanguage: String = "en") throws {
        self.languages = languages
        self.fallbackLanguage = fallbackLanguage
        let fallback = languages[fallbackLanguage] ?? [:]
        var nested: [String: [String: Any]] = [:]
        for (language, own) in languages {
            nested[language] = try Self.nested(fallback.merging(own) { _, chosen in chosen })
        }
        nestedLanguages = nested
    }

    /// The strings of `language` shaped for templates (`{{t.section.key}}`).
    public func templateStrings(for language: String) -> [String: Any] {
        nestedLanguages[language] ?? nestedLanguages[fallbackLanguage] ?? [:]
    }

    /// The best language for an `Accept-Language` header (RFC 9110 §12.5.4), by q-value then order.
    public func language(forAcceptLanguage header: String?) -> String {
        guard let header else { return fallbackLanguage }
        var candidates: [(tag: String, q: Double, order: Int)] = []
        for (order, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            var q = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                q = Double(parameter.dropFirst(2)) ?? 0
            }
            if q > 0 { candidates.append((tag, q, order)) }
        }
        for candidate in candidates.sorted(by: { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }) {
            if languages[candidate.tag] != nil { return candidate.tag }
            let primary = String(candidate.tag.prefix { $0 != "-" })
            if languages[primary] != nil { return primary }
        }
        return fallbackLanguage
    }

    /// The strings of `language` nested by dotted key ("nav.sign_in" → ["nav": ["sign_in": …]]),
    /// the shape Mustache's `{{t.nav.sign_in}}` looks up.
    /// - Throws: when a key is both a text and a prefix of another key, which a template could not reach.
    public static func nested(_ strings: Strings) throws -> [String: Any] {
        var root: [String: Any] = [:]
        func insert(_ path: ArraySlice<Substring>, _ value: String, into node: inout [String: Any], key: String) throws {
            let head = String(path.first!)
            if path.count == 1 {
                guard node[head] == nil else { throw TemplateRenderer.TemplateError(description: "message key \(key) clashes with a longer key") }
                node[head] = value
                return
            }
            var child: [String: Any]
            switch node[head] {
            case nil: child = [:]
            case let existing as [String: Any]: child = existing
            default: throw TemplateRenderer.TemplateError(description: "message key \(key) clashes with a shorter key")
            }
            try insert(path.dropFirst(), value, into: &child, key: key)
            node[head] = child
        }
        for (key, value) in strings {
            try insert(ArraySlice(key.split(separator: ".")), value, into: &root, key: key)
        }
        return root
    }

    /// All strings of `language`, with the fallback language filling any gaps.
    public func strings(for language: String) -> Strings {
        let fallback = languages[fallbackLanguage] ?? [:]
        guard language != fallbackLanguage, let own = languages[language] else { return fallback }
        return fallback.merging(own) { _, chosen in chosen }
    }

    /// The text of `key` in `language` with `{name}` placeholders filled; the key itself if unknown,
    /// so a missing translation is visible rather than blank.
    public func format(_ key: String, language: String, _ arguments: [String: String] = [:]) -> String {
        var text = languages[language]?[key] ?? languages[fallbackLanguage]?[key] ?? key
        for (name, value) in arguments {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }
}
