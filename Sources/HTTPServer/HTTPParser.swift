#if canImport(Glibc)
import Glibc
#endif

/// Incremental, strict HTTP/1.1 request parser (RFC 9112). Knows nothing about sockets.
///
/// Feed bytes with `append`, then call `next()` until it returns `.needMoreData`. It yields one
/// request at a time and keeps any bytes after it (pipelining) for the following call. Anything
/// ambiguous is rejected with a status and the parser stays failed: the connection must close,
/// because after a framing error the start of the next message cannot be known.
struct HTTPParser {
    /// Size limits the parser enforces; each maps to the status the issue names.
    struct Limits: Sendable, Equatable {
        /// Longest request line (method, target, version) in bytes; beyond it: 414.
        var maxRequestLineLength = 8 * 1024
        /// Largest header section (all field lines) in bytes; beyond it: 431.
        var maxHeaderSectionSize = 32 * 1024
        /// Most field lines in one header section; beyond it: 431.
        var maxHeaderCount = 100
        /// Largest body, declared or decoded; beyond it: 413.
        var maxBodySize = 1024 * 1024
    }

    /// What the caller should do next.
    enum Action {
        /// The buffer holds no complete request yet; read more bytes.
        case needMoreData
        /// The client sent `Expect: 100-continue` and waits: send `100 Continue`, then read on.
        case sendContinue
        /// A complete request (`remoteAddress` left empty for the caller to fill).
        case request(Request)
        /// The bytes are not an acceptable request: answer `status` and close the connection.
        case reject(status: Int, reason: String)
    }

    /// Where in a message the parser is, so the I/O loop can pick the right timeout.
    enum Phase: Equatable {
        /// Between requests, nothing buffered (keep-alive idle).
        case idle
        /// Part of a request head is buffered.
        case head
        /// The head is complete and the body is being read.
        case body
    }

    private enum State {
        case head
        case contentBody(length: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(fields: Int, bytes: Int)
        case failed(status: Int, reason: String)
    }

    /// Longest chunk-size line (size plus extensions) accepted; chunk extensions carry nothing
    /// we use, so a long one is only a way to make us buffer.
    static let maxChunkLineLength = 1024
    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks for at least one).
    static let maxLeadingEmptyLines = 8

    let limits: Limits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state: State = .head
    /// Head scan progress, relative to `readIndex`, so a slow client costs no rescans.
    private var scanOffset = 0
    private var lineStartOffset = 0
    private var requestLineLength = -1
    private var headerFieldCount = 0
    private var leadingEmptyLines = 0
    /// The request whose body is being read.
    private var pending: Request?
    private var body: [UInt8] = []

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a returned request.
    var bufferedByteCount: Int { buffer.count - readIndex }

    /// Where the parser is, for timeout selection.
    var phase: Phase {
        switch state {
        case .head: return bufferedByteCount == 0 ? .idle : .head
        case .failed: return .head
        default: return .body
        }
    }

    /// Adds received bytes.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfUseful()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes (convenience for tests).
    mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compactIfUseful()
        buffer.append(contentsOf: bytes)
    }

    /// Drops consumed bytes. Positions are kept relative to `readIndex`, so this is always safe.
    private mutating func compactIfUseful() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            if buffer.capacity > 64 * 1024 {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    /// Releases buffer memory when nothing is buffered (idle keep-alive connections).
    mutating func releaseIdleMemory() {
        if readIndex == buffer.count {
            buffer = []
            readIndex = 0
        }
    }

    /// Advances as far as the buffered bytes allow and says what to do next.
    mutating func next() -> Action {
        switch state {
        case .failed(let status, let reason):
            return .reject(status: status, reason: reason)
        case .head:
            return parseHeadIfComplete()
        case .contentBody(let length):
            guard bufferedByteCount >= length else { return .needMoreData }
            body = Array(buffer[readIndex..<readIndex + length])
            readIndex += length
            return finishRequest()
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            return parseChunked()
        }
    }

    private mutating func fail(_ status: Int, _ reason: String) -> Action {
        state = .failed(status: status, reason: reason)
        pending = nil
        body = []
        return .reject(status: status, reason: reason)
    }

    private mutating func finishRequest() -> Action {
        guard var request = pending else { return fail(500, "parser lost its request") }
        request.body = body
        pending = nil
        body = []
        state = .head
        return .request(request)
    }

    // MARK: - Head

    private mutating func parseHeadIfComplete() -> Action {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
        while requestLineLength < 0, scanOffset == 0, bufferedByteCount >= 2,
            buffer[readIndex] == 0x0D, buffer[readIndex + 1] == 0x0A
        {
            leadingEmptyLines += 1
            if leadingEmptyLines > Self.maxLeadingEmptyLines { return fail(400, "too many empty lines before request") }
            readIndex += 2
        }
        if requestLineLength < 0, scanOffset == 0, bufferedByteCount == 1, buffer[readIndex] == 0x0D {
            return .needMoreData
        }

        let available = bufferedByteCount
        var headEnd = -1
        var failure: (Int, String)?
        buffer.withUnsafeBufferPointer { all in
            let base = all.baseAddress! + readIndex
            var offset = scanOffset
            while offset < available {
                guard let found = memchr(base + offset, 0x0A, available - offset) else { break }
                let lf = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                // RFC 9112 §2.2: lines end in CRLF; a bare LF is rejected rather than guessed at.
                guard lf > lineStartOffset, base[lf - 1] == 0x0D else {
                    failure = (400, "line not terminated by CRLF")
                    return
                }
                let lineLength = lf - 1 - lineStartOffset
                if requestLineLength < 0 {
                    if lineLength > limits.maxRequestLineLength {
                        failure = (414, "request line too long")
                        return
                    }
                    requestLineLength = lineLength
                } else if lineLength == 0 {
                    headEnd = lf + 1
                    return
                } else {
                    headerFieldCount += 1
                    if headerFieldCount > limits.maxHeaderCount {
                        failure = (431, "too many header fields")
                        return
                    }
                    if lf + 1 - (requestLineLength + 2) > limits.maxHeaderSectionSize {
                        failure = (431, "header section too large")
                        return
                    }
                }
                lineStartOffset = lf + 1
                offset = lf + 1
            }
            scanOffset = available
        }
        if let (status, reason) = failure { return fail(status, reason) }
        guard headEnd >= 0 else {
            // Incomplete: still enforce the limits so a client cannot make us buffer forever.
            if requestLineLength < 0 {
                if available > limits.maxRequestLineLength + 2 { return fail(414, "request line too long") }
            } else if available - (requestLineLength + 2) > limits.maxHeaderSectionSize + 2 {
                return fail(431, "header section too large")
            }
            return .needMoreData
        }

        let result: Result<(Request, Framing), HeadError> = buffer.withUnsafeBytes { all in
            let head = UnsafeRawBufferPointer(rebasing: all[readIndex..<readIndex + headEnd])
            return HeadParser.parse(head, requestLineLength: requestLineLength, limits: limits)
        }
        readIndex += headEnd
        scanOffset = 0
        lineStartOffset = 0
        requestLineLength = -1
        headerFieldCount = 0
        leadingEmptyLines = 0

        switch result {
        case .failure(let error):
            return fail(error.status, error.reason)
        case .success(let (request, framing)):
            pending = request
            body = []
            switch framing.body {
            case .none:
                return finishRequest()
            case .length(let length):
                state = .contentBody(length: length)
                body.reserveCapacity(length)
            case .chunked:
                state = .chunkSize
            }
            // RFC 9110 §10.1.1: send 100 Continue only if the body has not started arriving.
            if framing.expectsContinue && bufferedByteCount == 0 { return .sendContinue }
            return next()
        }
    }

    // MARK: - Chunked body (RFC 9112 §7.1)

    private mutating func parseChunked() -> Action {
        while true {
            switch state {
            case .chunkSize:
                guard let line = takeLine(maxLength: Self.maxChunkLineLength) else { return .needMoreData }
                switch line {
                case .failure(let error):
                    return fail(400, error.reason)
                case .success(let range):
                    let parsed = buffer.withUnsafeBytes { Self.parseChunkSize(UnsafeRawBufferPointer(rebasing: $0[range])) }
                    guard let size = parsed else { return fail(400, "malformed chunk size") }
                    if size == 0 {
                        state = .trailers(fields: 0, bytes: 0)
                    } else {
                        guard size <= limits.maxBodySize - body.count else { return fail(413, "chunked body too large") }
                        state = .chunkData(remaining: size)
                    }
                }
            case .chunkData(let remaining):
                let take = min(remaining, bufferedByteCount)
                guard take > 0 else { return .needMoreData }
                body.append(contentsOf: buffer[readIndex..<readIndex + take])
                readIndex += take
                state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .chunkDataEnd:
                guard bufferedByteCount >= 2 else { return .needMoreData }
                guard buffer[readIndex] == 0x0D, buffer[readIndex + 1] == 0x0A else {
                    return fail(400, "chunk data not followed by CRLF")
                }
                readIndex += 2
                state = .chunkSize
            case .trailers(let fields, let bytes):
                guard let line = takeLine(maxLength: limits.maxHeaderSectionSize) else {
                    if bytes + bufferedByteCount > limits.maxHeaderSectionSize + 2 {
                        return fail(431, "trailer section too large")
                    }
                    return .needMoreData
                }
                switch line {
                case .failure(let error):
                    return fail(400, error.reason)
                case .success(let range):
                    if range.isEmpty { return finishRequest() }
                    // RFC 9112 §7.1.2: trailer fields use field-line syntax; we validate and drop them.
                    let valid = buffer.withUnsafeBytes {
                        HeadParser.parseFieldLine(UnsafeRawBufferPointer(rebasing: $0[range])) != nil
                    }
                    guard valid else { return fail(400, "malformed trailer field") }
                    let newBytes = bytes + range.count + 2
                    guard fields + 1 <= limits.maxHeaderCount, newBytes <= limits.maxHeaderSectionSize else {
                        return fail(431, "trailer section too large")
                    }
                    state = .trailers(fields: fields + 1, bytes: newBytes)
                }
            default:
                return next()
            }
        }
    }

    /// Takes one CRLF-terminated line from the buffer; nil when incomplete.
    private mutating func takeLine(maxLength: Int) -> Result<Range<Int>, LineError>? {
        let available = bufferedByteCount
        let lf: Int? = buffer.withUnsafeBufferPointer { all in
            let base = all.baseAddress! + readIndex
            let limit = min(available, maxLength + 2)
            guard limit > 0, let found = memchr(base, 0x0A, limit) else { return nil }
            return UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
        }
        guard let lf else {
            if available > maxLength + 1 { return .failure(LineError("line too long")) }
            return nil
        }
        guard lf > 0, buffer[readIndex + lf - 1] == 0x0D else { return .failure(LineError("line not terminated by CRLF")) }
        let range = readIndex..<(readIndex + lf - 1)
        readIndex += lf + 1
        return .success(range)
    }

    struct LineError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Parses `chunk-size [ chunk-ext ]`; nil when malformed (RFC 9112 §7.1, §7.1.1).
    static func parseChunkSize(_ line: UnsafeRawBufferPointer) -> Int? {
        var size = 0
        var index = 0
        while index < line.count, let digit = RequestTarget.hexValue(line[index]) {
            // More than 15 hex digits cannot be a size we would accept and could overflow.
            guard index < 15 else { return nil }
            size = size << 4 | Int(digit)
            index += 1
        }
        guard index > 0 else { return nil }
        if index == line.count { return size }
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ); we ignore extensions
        // but refuse anything that is not that shape, e.g. "5 junk" or control characters.
        while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        guard index < line.count, line[index] == UInt8(ascii: ";") else { return nil }
        for byte in line[index...] {
            guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { return nil }
        }
        return size
    }
}
