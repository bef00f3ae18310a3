/// A parsed argon2id PHC string: `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`.
///
/// libargon2 parses the string again when verifying; this strict parse exists so
/// that malformed or hostile strings are refused before any memory is allocated,
/// and so `needsRehash` can read the costs.
struct PHCString: Equatable {
    /// The cost settings named in the string.
    var parameters: Argon2Parameters
    /// Decoded salt length in bytes.
    var saltLength: Int
    /// Decoded hash length in bytes.
    var hashLength: Int

    /// Parses `text`, returning nil unless it is exactly the argon2id v=19 form with
    /// decimal costs (no sign, no leading zeros) and unpadded standard Base64 fields.
    init?(_ text: String) {
        // Bound the work: a real string is under 150 bytes.
        guard text.utf8.count <= 512 else { return nil }
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        // Leading "$" yields an empty first field.
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else {
            return nil
        }
        let costs = fields[3].split(separator: ",", omittingEmptySubsequences: false)
        guard costs.count == 3,
              let m = Self.cost(costs[0], key: "m"),
              let t = Self.cost(costs[1], key: "t"),
              let p = Self.cost(costs[2], key: "p")
        else { return nil }
        let parameters = Argon2Parameters(memoryKiB: m, iterations: t, parallelism: p)
        guard parameters.isAcceptable,
              let salt = Self.base64Length(fields[4]), (8...64).contains(salt),
              let hash = Self.base64Length(fields[5]), (4...64).contains(hash)
        else { return nil }
        self.parameters = parameters
        self.saltLength = salt
        self.hashLength = hash
    }

    /// Reads `key=<decimal>` as a UInt32, refusing leading zeros and overflow.
    private static func cost(_ field: Substring, key: String) -> UInt32? {
        guard field.hasPrefix(key + "=") else { return nil }
        let digits = field.dropFirst(key.count + 1)
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              digits.first != "0" || digits.count == 1
        else { return nil }
        return UInt32(digits)
    }

    /// The decoded byte length of unpadded standard Base64, or nil if `field` is not that.
    private static func base64Length(_ field: Substring) -> Int? {
        let ok = field.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        }
        let count = field.utf8.count
        // A remainder of 1 character cannot encode whole bytes.
        guard ok, count > 0, count % 4 != 1 else { return nil }
        return count * 3 / 4
    }
}
