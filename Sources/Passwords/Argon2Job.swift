import CArgon2
import Foundation

/// One argon2id computation described as data, so that it can run on a thread of this process or be
/// sent to the hashing helper process (`HashingProcess`) and run there.
enum Argon2Job: Equatable {
    /// Hash `password` with `salt` at `parameters` into a PHC string of `PasswordHasher.hashBytes`.
    case hash(parameters: Argon2Parameters, salt: [UInt8], password: [UInt8])
    /// Check `password` against the PHC string `encoded`.
    case verify(encoded: String, password: [UInt8])

    /// libargon2's return code (`ARGON2_OK` on success; `ARGON2_VERIFY_MISMATCH` for a wrong
    /// password) and, for `.hash`, the PHC string.
    struct Outcome: Equatable {
        var code: Int32
        var encoded: String = ""
    }

    /// Runs the computation here, on the calling thread.
    func perform() -> Outcome {
        switch self {
        case let .hash(p, salt, password):
            let length = max(256, argon2_encodedlen(p.iterations, p.memoryKiB, p.parallelism, UInt32(salt.count),
                                                    UInt32(PasswordHasher.hashBytes), Argon2_id))
            var encoded = [CChar](repeating: 0, count: length)
            let code = password.withUnsafeBytes { pwd in
                argon2id_hash_encoded(p.iterations, p.memoryKiB, p.parallelism, pwd.baseAddress, pwd.count,
                                      salt, salt.count, PasswordHasher.hashBytes, &encoded, encoded.count)
            }
            let text = String(decoding: encoded.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return Outcome(code: code, encoded: code == ARGON2_OK.rawValue ? text : "")
        case let .verify(encoded, password):
            let code = password.withUnsafeBytes { pwd in argon2id_verify(encoded, pwd.baseAddress, pwd.count) }
            return Outcome(code: code)
        }
    }

    /// Overwrites the password bytes this value holds, in the storage every copy shares (`PasswordHasher.wipe`).
    func wipePassword() {
        switch self {
        case .hash(_, _, var password), .verify(_, var password):
            PasswordHasher.wipe(&password)
        }
    }
}

// MARK: - Wire format between the server and its hashing helper

/// Frames exchanged over the helper's socket. Every frame is a little-endian `UInt32` body length followed by
/// the body. A request body is `id: UInt32, kind: UInt8` and then, for a hash, `m, t, p: UInt32`, the salt and
/// the password; for a verification, the PHC string and the password (each a `UInt32` length and its bytes).
/// A reply body is `id: UInt32, code: Int32` and the PHC string (empty for a verification).
enum HelperWire {
    /// The largest frame body either side accepts: a 4,096-byte password plus a PHC string and headers.
    static let maximumBody = 16 * 1024

    static func request(id: UInt32, job: Argon2Job) -> [UInt8] {
        var body: [UInt8] = []
        append(id, to: &body)
        switch job {
        case let .hash(p, salt, password):
            body.append(1)
            append(p.memoryKiB, to: &body)
            append(p.iterations, to: &body)
            append(p.parallelism, to: &body)
            appendBytes(salt, to: &body)
            appendBytes(password, to: &body)
        case let .verify(encoded, password):
            body.append(2)
            appendBytes(Array(encoded.utf8), to: &body)
            appendBytes(password, to: &body)
        }
        defer { PasswordHasher.wipe(&body) }
        return frame(body)
    }

    static func reply(id: UInt32, outcome: Argon2Job.Outcome) -> [UInt8] {
        var body: [UInt8] = []
        append(id, to: &body)
        append(UInt32(bitPattern: outcome.code), to: &body)
        appendBytes(Array(outcome.encoded.utf8), to: &body)
        return frame(body)
    }

    /// Parses a request body; nil when it is malformed.
    static func parseRequest(_ body: [UInt8]) -> (id: UInt32, job: Argon2Job)? {
        var reader = Reader(bytes: body)
        guard let id = reader.uint32(), let kind = reader.uint8() else { return nil }
        let job: Argon2Job
        switch kind {
        case 1:
            guard let m = reader.uint32(), let t = reader.uint32(), let p = reader.uint32(),
                  let salt = reader.bytes(), let password = reader.bytes() else { return nil }
            job = .hash(parameters: Argon2Parameters(memoryKiB: m, iterations: t, parallelism: p), salt: salt, password: password)
        case 2:
            guard let encoded = reader.bytes(), let password = reader.bytes() else { return nil }
            job = .verify(encoded: String(decoding: encoded, as: UTF8.self), password: password)
        default:
            return nil
        }
        return reader.isAtEnd ? (id, job) : nil
    }

    /// Parses a reply body; nil when it is malformed.
    static func parseReply(_ body: [UInt8]) -> (id: UInt32, outcome: Argon2Job.Outcome)? {
        var reader = Reader(bytes: body)
        guard let id = reader.uint32(), let code = reader.uint32(), let encoded = reader.bytes(), reader.isAtEnd else { return nil }
        return (id, Argon2Job.Outcome(code: Int32(bitPattern: code), encoded: String(decoding: encoded, as: UTF8.self)))
    }

    /// Reads one frame body from `fd`; nil at end of file, on an error or for an oversized frame.
    static func readFrame(_ fd: Int32) -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 4)
        guard readFully(fd, &header) else { return nil }
        var reader = Reader(bytes: header)
        guard let length = reader.uint32(), length <= maximumBody else { return nil }
        var body = [UInt8](repeating: 0, count: Int(length))
        return readFully(fd, &body) ? body : nil
    }

    /// Writes all of `bytes` to the socket `fd`; false once the peer is gone. `MSG_NOSIGNAL`: a vanished
    /// peer is an error here, not a SIGPIPE.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    private static func readFully(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    private static func frame(_ body: [UInt8]) -> [UInt8] {
        var framed: [UInt8] = []
        framed.reserveCapacity(body.count + 4)
        append(UInt32(body.count), to: &framed)
        framed += body
        return framed
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func appendBytes(_ value: [UInt8], to bytes: inout [UInt8]) {
        append(UInt32(value.count), to: &bytes)
        bytes += value
    }

    private struct Reader {
        let data: [UInt8]
        var offset = 0

        init(bytes: [UInt8]) { self.data = bytes }

        var isAtEnd: Bool { offset == data.count }

        mutating func uint8() -> UInt8? {
            guard offset < data.count else { return nil }
            defer { offset += 1 }
            return data[offset]
        }

        mutating func uint32() -> UInt32? {
            guard data.count - offset >= 4 else { return nil }
            defer { offset += 4 }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[offset + $1]) << UInt32(8 * $1) }
        }

        mutating func bytes() -> [UInt8]? {
            guard let count = uint32(), data.count - offset >= Int(count) else { return nil }
            defer { offset += Int(count) }
            return Array(data[offset..<offset + Int(count)])
        }
    }
}
