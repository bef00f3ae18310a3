/// One Mustache template (mustache(5), https://mustache.github.io/mustache.5.html), parsed once into nodes.
///
/// Why our own rather than a package: rendering is on every page, and a general engine that asks the
/// Swift runtime "does this value conform to protocol P?" for every tag spent more than half of a
/// page's CPU time in those casts (measured with `perf` on `/login`). Here a value is classified by its
/// concrete type once per lookup, text is kept as bytes, and escaping works on UTF-8.
///
/// The language is the part of Mustache the portal's templates use, with the spec's semantics:
/// `{{name}}` (HTML-escaped), `{{{name}}}` and `{{& name}}` (raw), dotted names and `{{.}}`, sections
/// `{{#name}}…{{/name}}`, inverted sections `{{^name}}…{{/name}}`, comments `{{! … }}` and partials
/// `{{> name}}`, with standalone tag lines removed. Set-delimiter tags, lambdas and template
/// inheritance are refused when the template is read, rather than silently misread.
struct Template {
    /// A name as written in a tag: `a.b.c`, or `.` (the current item), which has no parts.
    struct Name: Equatable {
        let parts: [String]
    }

    indirect enum Node {
        case text([UInt8])
        case variable(Name, escaped: Bool)
        case section(Name, inverted: Bool, [Node])
        case partial(String)
    }

    let nodes: [Node]

    /// The partials this template refers to, at any depth, so a library can check they all exist.
    var partialNames: Set<String> {
        var names = Set<String>()
        func collect(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .partial(let name): names.insert(name)
                case .section(_, _, let children): collect(children)
                case .text, .variable: break
                }
            }
        }
        collect(nodes)
        return names
    }

    /// Parses `text`.
    /// - Throws: `TemplateRenderer.TemplateError` naming the line of an unclosed tag, an unknown or
    ///   unsupported tag, a bad name, or a section closed by the wrong name or never closed.
    init(parsing text: String) throws {
        var parser = Parser(Array(text.utf8))
        nodes = try parser.parse()
    }
}

// MARK: - Parsing

extension Template {
    private struct Parser {
        private let source: [UInt8]
        private var position = 0
        private static let open: [UInt8] = Array("{{".utf8)

        init(_ source: [UInt8]) {
            self.source = source
        }

        /// The nodes of the whole template; sections are collected on an explicit stack.
        mutating func parse() throws -> [Node] {
            var levels: [(name: Name?, spelling: String, inverted: Bool, nodes: [Node], line: Int)] =
                [(nil, "", false, [], 1)]
            var text: [UInt8] = []

            func flushText() {
                guard !text.isEmpty else { return }
                levels[levels.count - 1].nodes.append(.text(text))
                text = []
            }

            while let tagStart = nextOpening() {
                text.append(contentsOf: source[position..<tagStart])
                let tag = try readTag(at: tagStart)
                if tag.kind.canStandAlone, let after = standaloneEnd(tagStart: tagStart, tagEnd: tag.end) {
                    // mustache(5): a section, comment or partial tag alone on its line leaves no trace,
                    // so the line's indentation and line break go too.
                    text.removeLast(tagStart - lineStart(of: tagStart))
                    position = after
                } else {
                    position = tag.end
                }
                switch tag.kind {
                case .comment:
                    continue
                case .variable(let name, let escaped):
                    flushText()
                    levels[levels.count - 1].nodes.append(.variable(name, escaped: escaped))
                case .partial(let name):
                    flushText()
                    levels[levels.count - 1].nodes.append(.partial(name))
                case .sectionStart(let name, let spelling, let inverted):
                    flushText()
                    levels.append((name, spelling, inverted, [], line(of: tagStart)))
                case .sectionEnd(let spelling):
                    flushText()
                    guard levels.count > 1, let open = levels.last, open.spelling == spelling else {
                        throw error("{{/\(spelling)}} closes no open section", at: tagStart)
                    }
                    levels.removeLast()
                    levels[levels.count - 1].nodes.append(.section(open.name!, inverted: open.inverted, open.nodes))
                }
            }
            text.append(contentsOf: source[position...])
            flushText()
            if levels.count > 1, let open = levels.last {
                throw TemplateRenderer.TemplateError(description: "line \(open.line): section {{#\(open.spelling)}} is never closed")
            }
            return levels[0].nodes
        }

        private enum TagKind {
            case variable(Name, escaped: Bool)
            case sectionStart(Name, spelling: String, inverted: Bool)
            case sectionEnd(spelling: String)
            case comment
            case partial(String)

            var canStandAlone: Bool {
                if case .variable = self { return false }
                return true
            }
        }

        private func nextOpening() -> Int? {
            guard source.count >= 2, position <= source.count - 2 else { return nil }
            var index = position
            while index <= source.count - 2 {
                if source[index] == UInt8(ascii: "{"), source[index + 1] == UInt8(ascii: "{") { return index }
                index += 1
            }
            return nil
        }

        private func readTag(at start: Int) throws -> (kind: TagKind, end: Int) {
            let triple = start + 2 < source.count && source[start + 2] == UInt8(ascii: "{")
            let contentStart = start + (triple ? 3 : 2)
            let closing: [UInt8] = triple ? Array("}}}".utf8) : Array("}}".utf8)
            guard let contentEnd = find(closing, from: contentStart) else {
                throw error("a tag is never closed", at: start)
            }
            let end = contentEnd + closing.count
            let content = String(decoding: source[contentStart..<contentEnd], as: UTF8.self)
            if triple { return (.variable(try name(content, at: start), escaped: false), end) }
            let trimmed = content.trimmingWhitespace()
            guard let sigil = trimmed.first else { throw error("an empty tag", at: start) }
            let rest = String(trimmed.dropFirst()).trimmingWhitespace()
            switch sigil {
            case "!": return (.comment, end)
            case "#": return (.sectionStart(try name(rest, at: start), spelling: rest, inverted: false), end)
            case "^": return (.sectionStart(try name(rest, at: start), spelling: rest, inverted: true), end)
            case "/": return (.sectionEnd(spelling: rest), end)
            case "&": return (.variable(try name(rest, at: start), escaped: false), end)
            case ">":
                guard !rest.isEmpty, rest.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw error("bad partial name \"\(rest)\"", at: start)
                }
                return (.partial(rest), end)
            case "=", "$", "<", "{":
                throw error("unsupported tag {{\(trimmed)}} (set-delimiter and inheritance are not used here)", at: start)
            default:
                return (.variable(try name(trimmed, at: start), escaped: true), end)
            }
        }

        private func name(_ text: String, at start: Int) throws -> Name {
            let text = text.trimmingWhitespace()
            if text == "." { return Name(parts: []) }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let valid = !parts.isEmpty && parts.allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            }
            guard valid else { throw error("bad name \"\(text)\"", at: start) }
            return Name(parts: parts)
        }

        private func find(_ needle: [UInt8], from start: Int) -> Int? {
            guard needle.count <= source.count else { return nil }
            var index = start
            while index <= source.count - needle.count {
                if source[index] == needle[0], source[index..<index + needle.count].elementsEqual(needle) { return index }
                index += 1
            }
            return nil
        }

        private func lineStart(of index: Int) -> Int {
            var start = index
            while start > 0, source[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            return start
        }

        /// Where the text after a standalone tag resumes (past its line break), or nil when the tag
        /// shares its line with anything but spaces and tabs.
        private func standaloneEnd(tagStart: Int, tagEnd: Int) -> Int? {
            let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard source[lineStart(of: tagStart)..<tagStart].allSatisfy(blank) else { return nil }
            var index = tagEnd
            while index < source.count, blank(source[index]) { index += 1 }
            if index == source.count { return index }
            if source[index] == UInt8(ascii: "\n") { return index + 1 }
            if source[index] == UInt8(ascii: "\r"), index + 1 < source.count, source[index + 1] == UInt8(ascii: "\n") { return index + 2 }
            return nil
        }

        private func line(of index: Int) -> Int {
            source[..<index].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        }

        private func error(_ message: String, at index: Int) -> TemplateRenderer.TemplateError {
            TemplateRenderer.TemplateError(description: "line \(line(of: index)): \(message)")
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }
}

// MARK: - Rendering

extension Template {
    /// A context value, classified once by its concrete type so rendering never asks the runtime about
    /// protocol conformances. Optionals are unwrapped; `nil` is `missing`.
    enum Value {
        case missing
        case string(String)
        case bool(Bool)
        case int(Int)
        case object([String: Any])
        case strings([String: String])
        case objects([[String: Any]])
        case list([Any])
        case other(Any)

        init(_ value: Any) {
            // Exact-type checks first: they compare type metadata, where `as?` on a collection
            // would try an element-by-element conversion.
            let type = ObjectIdentifier(Swift.type(of: value))
            switch type {
            case ObjectIdentifier(String.self): self = .string(value as! String)
            case ObjectIdentifier([String: Any].self): self = .object(value as! [String: Any])
            case ObjectIdentifier([String: String].self): self = .strings(value as! [String: String])
            case ObjectIdentifier([[String: Any]].self): self = .objects(value as! [[String: Any]])
            case ObjectIdentifier(Bool.self): self = .bool(value as! Bool)
            case ObjectIdentifier(Int.self): self = .int(value as! Int)
            case ObjectIdentifier([String].self): self = .list((value as! [String]).map { $0 as Any })
            case ObjectIdentifier([Any].self): self = .list(value as! [Any])
            default: self = Self.general(value)
            }
        }

        private static func general(_ value: Any) -> Value {
            if let optional = value as? AnyOptional {
                guard let wrapped = optional.wrappedValue else { return .missing }
                return Value(wrapped)
            }
            if let string = value as? any StringProtocol { return .string(String(string)) }
            if let dictionary = value as? [String: Any] { return .object(dictionary) }
            if let array = value as? [Any] { return .list(array) }
            return .other(value)
        }

        /// mustache(5): false, a missing value and an empty list are "falsey"; everything else,
        /// the empty string included, renders a section.
        var isFalsey: Bool {
            switch self {
            case .missing: return true
            case .bool(let value): return !value
            case .objects(let list): return list.isEmpty
            case .list(let list): return list.isEmpty
            default: return false
            }
        }

        func child(_ key: String) -> Value? {
            switch self {
            case .object(let dictionary): return dictionary[key].map(Value.init)
            case .strings(let dictionary): return dictionary[key].map(Value.string)
            case .other(let value):
                for child in Mirror(reflecting: value).children where child.label == key { return Value(child.value) }
                return nil
            default: return nil
            }
        }
    }

    /// Where a render is: the output so far and the stack of section values, innermost last.
    struct Rendering {
        var output: [UInt8] = []
        var stack: [Value]
        let partials: [String: Template]
        var depth = 0
        /// Partials may nest (a partial that includes itself is caught here rather than overflowing the stack).
        static let maximumDepth = 32

        init(context: [String: Any], partials: [String: Template]) {
            stack = [.object(context)]
            self.partials = partials
            output.reserveCapacity(8192)
        }

        func lookup(_ name: Name) -> Value {
            guard let first = name.parts.first else { return stack.last ?? .missing }
            // mustache(5): the first part is looked up from the innermost context outwards; the rest
            // only inside what it found.
            var found: Value?
            for frame in stack.reversed() {
                if let value = frame.child(first) { found = value; break }
            }
            guard var value = found else { return .missing }
            for part in name.parts.dropFirst() {
                guard let child = value.child(part) else { return .missing }
                value = child
            }
            return value
        }
    }

    func render(_ rendering: inout Rendering) throws {
        try Self.render(nodes, &rendering)
    }

    private static func render(_ nodes: [Node], _ rendering: inout Rendering) throws {
        for node in nodes {
            switch node {
            case .text(let bytes):
                rendering.output.append(contentsOf: bytes)
            case .variable(let name, let escaped):
                let text: String
                switch rendering.lookup(name) {
                case .missing: continue
                case .string(let string): text = string
                case .int(let int): text = String(int)
                case .bool(let bool): text = bool ? "true" : "false"
                case .object(let value): text = String(describing: value)
                case .strings(let value): text = String(describing: value)
                case .objects(let value): text = String(describing: value)
                case .list(let value): text = String(describing: value)
                case .other(let value): text = String(describing: value)
                }
                if escaped {
                    Markup.appendEscaped(text, to: &rendering.output)
                } else {
                    rendering.output.append(contentsOf: text.utf8)
                }
            case .section(let name, let inverted, let children):
                let value = rendering.lookup(name)
                if inverted {
                    if value.isFalsey { try render(children, &rendering) }
                    continue
                }
                switch value {
                case _ where value.isFalsey: continue
                case .bool: try render(children, &rendering)
                case .objects(let list):
                    for item in list { try renderPushing(.object(item), children, &rendering) }
                case .list(let list):
                    for item in list { try renderPushing(Value(item), children, &rendering) }
                default:
                    try renderPushing(value, children, &rendering)
                }
            case .partial(let name):
                guard let partial = rendering.partials[name] else {
                    throw TemplateRenderer.TemplateError(description: "no partial named \(name)")
                }
                guard rendering.depth < Rendering.maximumDepth else {
                    throw TemplateRenderer.TemplateError(description: "partials nest deeper than \(Rendering.maximumDepth) at \(name)")
                }
                rendering.depth += 1
                try render(partial.nodes, &rendering)
                rendering.depth -= 1
            }
        }
    }

    private static func renderPushing(_ value: Value, _ nodes: [Node], _ rendering: inout Rendering) throws {
        rendering.stack.append(value)
        try render(nodes, &rendering)
        rendering.stack.removeLast()
    }
}

/// Lets a value boxed in `Any` say whether it is an empty optional, which a cast to a concrete type cannot.
private protocol AnyOptional {
    var wrappedValue: Any? { get }
}

extension Optional: AnyOptional {
    fileprivate var wrappedValue: Any? { map { $0 as Any } }
}
