/// CSV for spreadsheets: RFC 4180 quoting plus OWASP's defence against formula injection.
///
/// Exports carry text people typed (names, reasons, audit details). A spreadsheet opening the
/// file would run a cell such as `=HYPERLINK(...)` as a formula, so every cell starting with a
/// character a spreadsheet treats as a formula trigger is prefixed with a single quote, which
/// spreadsheets show as text (OWASP "CSV Injection").
public enum CSV {
    /// Bytes that make a spreadsheet read a cell as a formula when they come first (all ASCII, so the
    /// first byte decides: "\r\n" starts with CR).
    static func isFormulaTrigger(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "@")
            || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// One cell: neutralised if it could be a formula, then quoted if it holds a comma, a quote,
    /// CR or LF (RFC 4180 §2 rules 6–7: quotes inside are doubled).
    public static func field(_ value: String) -> String {
        var bytes: [UInt8] = []
        appendField(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One record: cells joined by commas and ended by CRLF (RFC 4180 §2 rule 1).
    public static func row(_ values: [String]) -> String {
        var bytes: [UInt8] = []
        append(values, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One record as UTF-8 bytes, appended to `buffer` (exports build batches of rows this way, byte by
    /// byte rather than through intermediate strings: an export is hundreds of thousands of rows).
    public static func append(_ values: [String], to buffer: inout [UInt8]) {
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            appendField(value, to: &buffer)
        }
        buffer.append(UInt8(ascii: "\r"))
        buffer.append(UInt8(ascii: "\n"))
    }

    private static func appendField(_ value: String, to buffer: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            let neutralise = bytes.first.map(isFormulaTrigger) ?? false
            let quote = bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
            if quote { buffer.append(UInt8(ascii: "\"")) }
            if neutralise { buffer.append(UInt8(ascii: "'")) }
            if quote {
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
    }

    /// The UTF-8 byte order mark: lets spreadsheet programs detect UTF-8 (names with accents).
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
}
