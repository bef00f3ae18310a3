/// The sixteen lowercase hexadecimal digits as ASCII bytes.
private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hexadecimal, the form PostgreSQL's `encode(…, 'hex')` produces.
    ///
    /// Written out by hand: `String(format: "%02x")` per byte went through Foundation's formatter and
    /// showed in profiles of every signed-in page (the session token is hashed on each request).
    var lowercaseHex: String {
        var output: [UInt8] = []
        output.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
