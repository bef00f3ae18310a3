import Foundation

/// CSV for spreadsheets: RFC 4180 quoting plus OWASP's defence against formula injection.
///
/// Exports carry text people typed (names, reasons, audit details). A spreadsheet opening the
/// file would run a cell such as `=HYPERLINK(...)` as a formula, so every cell starting with a
/// character a spreadsheet treats as a formula trigger is prefixed with a single quote, which
/// spreadsheets show as text (OWASP "CSV Injection").
public enum CSV {
    /// Characters that make a spreadsheet read a cell as a formula when they come first.
    static let formulaTriggers: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// One cell: neutralised if it could be a formula, then quoted if it holds a comma, a quote,
    /// CR or LF (RFC 4180 §2 rules 6–7: quotes inside are doubled).
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.first, formulaTriggers.contains(first) || first == "\r\n" { text = "'" + text }
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record: cells joined by commas and ended by CRLF (RFC 4180 §2 rule 1).
    public static func row(_ values: [String]) -> String {
        values.map(field).joined(separator: ",") + "\r\n"
    }

    /// One record as UTF-8 bytes, appended to `buffer` (exports build batches of rows this way).
    public static func append(_ values: [String], to buffer: inout [UInt8]) {
        buffer.append(contentsOf: row(values).utf8)
    }

    /// The UTF-8 byte order mark: lets spreadsheet programs detect UTF-8 (names with accents).
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
}
