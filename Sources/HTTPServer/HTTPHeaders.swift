/// Ordered header fields with case-insensitive name lookup (RFC 9110 §5.1).
///
/// Order and duplicates are kept because some fields (e.g. `Set-Cookie`) must not be merged.
public struct HTTPHeaders: Sendable, Sequence, Equatable, CustomStringConvertible {
    @usableFromInline var fields: [(name: String, value: String)]

    /// Creates an empty header list.
    public init() { fields = [] }

    /// Creates a header list from `(name, value)` pairs, keeping their order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// The first value for `name`, or nil when absent.
    public subscript(name: String) -> String? {
        for field in fields where asciiCaseInsensitiveEquals(field.name, name) { return field.value }
        return nil
    }

    /// Every value for `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { asciiCaseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces all fields named `name` with one field, at the position of the first one.
    public mutating func set(_ name: String, _ value: String) {
        if let index = fields.firstIndex(where: { asciiCaseInsensitiveEquals($0.name, name) }) {
            fields[index] = (name: name, value: value)
            var i = fields.count - 1
            while i > index {
                if asciiCaseInsensitiveEquals(fields[i].name, name) { fields.remove(at: i) }
                i -= 1
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// Number of fields, counting duplicates.
    public var count: Int { fields.count }

    /// Iterates `(name, value)` pairs in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Equal when the same fields appear in the same order (names compared case-insensitively).
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (a, b) in zip(lhs.fields, rhs.fields) {
            guard asciiCaseInsensitiveEquals(a.name, b.name), a.value == b.value else { return false }
        }
        return true
    }

    /// `Name: value` lines, for debugging.
    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}

/// Compares two strings ignoring ASCII case; header names are ASCII tokens (RFC 9110 §5.1).
@inline(__always)
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { x in
        b.withUTF8 { y in
            guard x.count == y.count else { return false }
            for i in 0..<x.count where x[i] != y[i] {
                guard x[i] | 0x20 == y[i] | 0x20, (x[i] | 0x20) >= 0x61, (x[i] | 0x20) <= 0x7A else {
                    return false
                }
            }
            return true
        }
    }
}

extension HTTPHeaders: ExpressibleByDictionaryLiteral {
    /// Creates headers from a literal such as `["Content-Type": "text/html"]`, in written order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}
