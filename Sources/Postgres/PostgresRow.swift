/// Column names of one result, shared by all its rows.
final class PostgresColumns: Sendable {
    let names: [String]
    let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var index = [String: Int]()
        // The first column wins when a query returns duplicate names, as with `SELECT a.id, b.id`.
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.indexByName = index
    }
}

/// One row of a query result, with values kept as the server's text until decoded.
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    let values: [String?]

    /// The result's column names in order.
    public var columnNames: [String] { columns.names }

    /// Decodes the column called `column`.
    ///
    /// Throws `PostgresError.decoding` when there is no such column or its value does not convert.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.indexByName[column] else {
            throw PostgresError.decoding("no column \"\(column)\" in result (columns: \(columns.names.joined(separator: ", ")))")
        }
        return try decodeValue(at: index, name: column, as: type)
    }

    /// Decodes the column at zero-based `index`.
    ///
    /// Throws `PostgresError.decoding` when the index is out of range or the value does not convert.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw PostgresError.decoding("column index \(index) out of range (\(values.count) columns)")
        }
        return try decodeValue(at: index, name: columns.names[index], as: type)
    }

    private func decodeValue<T: PostgresDecodable>(at index: Int, name: String, as type: T.Type) throws -> T {
        do {
            return try T.decode(postgresText: values[index])
        } catch PostgresError.decoding(let message) {
            throw PostgresError.decoding("column \"\(name)\": \(message)")
        }
    }
}
