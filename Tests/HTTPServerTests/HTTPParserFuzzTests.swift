import Testing
@testable import HTTPServer

/// SplitMix64: a tiny deterministic generator so every run checks the same cases.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct HTTPParserFuzzTests {
    static let methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
    static let headerNames = ["Accept", "User-Agent", "Cookie", "X-Request-Id", "Content-Type", "Connection", "Cache-Control"]

    /// A random valid request and what the parser must yield for it.
    static func randomRequest(_ rng: inout SeededGenerator) -> (bytes: [UInt8], path: String, body: [UInt8]) {
        let method = methods.randomElement(using: &rng)!
        let segments = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
            String((0..<Int.random(in: 1...8, using: &rng)).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789-_".randomElement(using: &rng)! })
        }
        let path = "/" + segments.joined(separator: "/")
        let query = Bool.random(using: &rng) ? "?q=\(Int.random(in: 0...999, using: &rng))" : ""
        var head = "\(method) \(path)\(query) HTTP/1.1\r\nHost: example.com\r\n"
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            head += "\(headerNames.randomElement(using: &rng)!): value-\(Int.random(in: 0...9999, using: &rng))\r\n"
        }
        let body = (0..<(Bool.random(using: &rng) ? Int.random(in: 1...300, using: &rng) : 0)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var bytes: [UInt8]
        if body.isEmpty {
            bytes = Array((head + "\r\n").utf8)
        } else if Bool.random(using: &rng) {
            bytes = Array((head + "Content-Length: \(body.count)\r\n\r\n").utf8) + body
        } else {
            bytes = Array((head + "Transfer-Encoding: chunked\r\n\r\n").utf8)
            var rest = body[...]
            while !rest.isEmpty {
                let size = min(rest.count, Int.random(in: 1...100, using: &rng))
                bytes += Array("\(String(size, radix: 16))\r\n".utf8) + rest.prefix(size) + Array("\r\n".utf8)
                rest = rest.dropFirst(size)
            }
            bytes += Array("0\r\n\r\n".utf8)
        }
        return (bytes, path, body)
    }

    static func randomSplits(_ bytes: [UInt8], _ rng: inout SeededGenerator) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let size = Int.random(in: 1...max(1, min(64, bytes.count - index)), using: &rng)
            chunks.append(Array(bytes[index..<index + size]))
            index += size
        }
        return chunks
    }

    static func mutate(_ bytes: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var result = bytes
        let interesting: [[UInt8]] = [
            Array("\r\n".utf8), Array("\n".utf8), Array("\r".utf8), [0], Array(" ".utf8), Array(":".utf8),
            Array("\r\nContent-Length: 5".utf8), Array("\r\nTransfer-Encoding: chunked".utf8),
            Array("\r\n Transfer-Encoding: chunked".utf8), Array("\r\nContent-Length: 0".utf8), Array("0\r\n\r\n".utf8),
            Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), Array("%2e%2e".utf8), Array("ffffffff".utf8),
        ]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !result.isEmpty else { break }
            let position = Int.random(in: 0..<result.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: result[position] = UInt8.random(in: 0...255, using: &rng)
            case 1: result.remove(at: position)
            case 2: result.insert(contentsOf: interesting.randomElement(using: &rng)!, at: position)
            case 3: result[position] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            default:
                let end = min(result.count, position + Int.random(in: 1...16, using: &rng))
                result.insert(contentsOf: result[position..<end], at: position)
            }
        }
        return result
    }

    @Test func randomValidRequestsParseTheSameHoweverTheBytesAreSplit() {
        var rng = SeededGenerator(seed: 0xC11_41C)
        for _ in 0..<2000 {
            let (first, path, body) = Self.randomRequest(&rng)
            let (second, secondPath, _) = Self.randomRequest(&rng)
            let stream = first + second
            let whole = drive([stream])
            #expect(whole.count == 2)
            guard case .request(_, _, let parsedPath, _, _, _, let parsedBody)? = whole.first else {
                Issue.record("valid request rejected: \(String(decoding: first, as: UTF8.self))")
                continue
            }
            #expect(parsedPath == path)
            #expect(parsedBody == body)
            if case .request(_, _, let parsedSecond, _, _, _, _)? = whole.last { #expect(parsedSecond == secondPath) }
            #expect(drive(Self.randomSplits(stream, &rng)) == whole)
        }
    }

    @Test func mutatedRequestsNeverCrashHangOrDependOnHowBytesArrive() {
        var rng = SeededGenerator(seed: 42)
        var rejected = 0
        let limits = HTTPParser.Limits(maxRequestLineLength: 256, maxHeaderSectionSize: 1024, maxHeaderCount: 20, maxBodySize: 4096)
        for _ in 0..<5000 {
            let (first, _, _) = Self.randomRequest(&rng)
            let (second, _, _) = Self.randomRequest(&rng)
            let stream = Self.mutate(first + second, &rng)
            let whole = drive([stream], limits: limits)
            let split = drive(Self.randomSplits(stream, &rng), limits: limits)
            let byteByByte = drive(stream.map { [$0] }, limits: limits)
            #expect(split == whole, "\(String(decoding: stream, as: UTF8.self).debugDescription)")
            #expect(byteByByte == whole)
            if whole.last?.status != nil { rejected += 1 }
        }
        // The mutations must actually exercise the rejection paths.
        #expect(rejected > 1000)
    }

    @Test(arguments: [
        // CL.TE / TE.CL request smuggling: both framings present.
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 43\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2b\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n\r\n0\r\n\r\n",
        // Obfuscated Transfer-Encoding.
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        // Differing lengths.
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        // Bare LF that a lenient parser might split differently.
        "POST / HTTP/1.1\r\nHost: h\nContent-Length: 38\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        // Chunk size with a sign or overflow.
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n+0\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
    ])
    func ambiguousMessagesAreRejectedNotSplitIntoTwoRequests(_ text: String) {
        let outcomes = drive(text)
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.status != nil, "ambiguous message was accepted: \(outcomes)")
    }
}
