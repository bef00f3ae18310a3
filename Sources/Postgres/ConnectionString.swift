import Foundation
import CLibPQ

/// Builds and rewrites libpq connection strings without pasting unescaped values.
public enum ConnectionString {
    /// A `key='value'` conninfo string with each value quoted as libpq requires (`\'` and `\\` escapes).
    public static func conninfo(_ parameters: [String: String]) -> String {
        parameters.sorted { $0.key < $1.key }.map { key, value in
            "\(key)='\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'"
        }.joined(separator: " ")
    }

    /// Parses `url` (URL or conninfo) with libpq and returns a conninfo naming `database` instead.
    ///
    /// Tests use this to point one server's URL at a fresh database. Throws
    /// `PostgresError.connectionFailed` with libpq's message when `url` does not parse.
    public static func replacingDatabase(in url: String, with database: String) throws -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            errorMessage.map { PQfreemem($0) }
            throw PostgresError.connectionFailed(message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        defer { PQconninfoFree(options) }
        var parameters = [String: String]()
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { parameters[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        parameters["dbname"] = database
        return conninfo(parameters)
    }
}
