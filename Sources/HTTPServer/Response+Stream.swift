#if canImport(Glibc)
import Glibc
#endif

/// Produces a response body piece by piece: the producer calls `write` with each piece, in order.
///
/// `write` returns once the client's socket has taken the piece, so memory stays bounded by one
/// piece whatever the body's total size; it throws `StreamWriteError` when the client has gone or
/// stops reading, and the producer should then stop (rethrowing is simplest).
public typealias BodyStream = @Sendable (_ write: ([UInt8]) throws -> Void) throws -> Void

extension Response {
    /// Creates a response whose body `stream` produces after the head has been sent (large exports).
    ///
    /// The server frames it itself: `Transfer-Encoding: chunked` for HTTP/1.1, closing the
    /// connection after the body for HTTP/1.0. A `HEAD` request gets the head only and the
    /// producer is not run.
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), stream: @escaping BodyStream) {
        self.init(status: status, headers: headers, body: [])
        self.stream = stream
    }
}

/// Why a streamed body could not be delivered: the client went away or stopped reading.
public struct StreamWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What happened, for the log.
    public let reason: String

    /// Human-readable form.
    public var description: String { "streamed response aborted: \(reason)" }
}

/// Sends a streamed response from a worker thread.
///
/// The worker owns the connection while the producer runs (the I/O thread never touches a
/// connection in `.processing`), so it writes straight to the socket and, when the send buffer is
/// full, waits for it with `poll` — at most `writeTimeout` per piece, the same patience the I/O
/// thread has with a slow reader. A streamed response therefore occupies one worker for its whole
/// duration, never an I/O thread.
enum StreamSender {
    /// Runs the producer and frames what it writes; returns what the I/O thread should do next and
    /// how many body bytes went out (for the access log).
    static func send(_ response: Response, job: Job, context: ServerContext,
                     serializerContext: ResponseSerializer.Context) -> (WriteOutcome, Int) {
        var serializerContext = serializerContext
        // RFC 9112 §6.3 rule 8: without chunked coding, HTTP/1.0 bodies end when the connection closes.
        let closeDelimited = serializerContext.version == .http10
        if closeDelimited { serializerContext.keepAlive = false }
        let (head, _) = ResponseSerializer.serialize(response, context: serializerContext, date: context.dates.current())
        let status = response.status
        let hasBody = !serializerContext.isHead && status >= 200 && status != 204 && status != 304
        let socket = BlockingSocketWriter(fd: job.connection.fd, timeout: context.configuration.writeTimeout)

        guard hasBody, let stream = response.stream else {
            do {
                try socket.write(head)
                return (closeDelimited ? .sentThenClose : .sent, 0)
            } catch {
                return (.failed, 0)
            }
        }

        var pendingHead: [UInt8]? = head  // sent together with the first piece
        var bytes = 0
        do {
            try stream { piece in
                // A zero-size chunk would end the body (RFC 9112 §7.1), so empty pieces are skipped.
                guard !piece.isEmpty else { return }
                var out = pendingHead ?? []
                pendingHead = nil
                if closeDelimited {
                    out.append(contentsOf: piece)
                } else {
                    out.reserveCapacity(out.count + piece.count + 20)
                    Self.appendChunk(piece, to: &out)
                }
                try socket.write(out)
                bytes += piece.count
            }
            var tail = pendingHead ?? []
            // RFC 9112 §7.1: the last chunk has size zero, followed by an empty trailer section.
            if !closeDelimited { tail.append(contentsOf: Self.lastChunk) }
            try socket.write(tail)
            return (closeDelimited ? .sentThenClose : .sent, bytes)
        } catch let error as StreamWriteError {
            context.logger.debug("\(error)")
            return (.failed, bytes)
        } catch {
            context.logger.error("streamed response failed for \(job.request.method) \(job.request.path): \(error)")
            if pendingHead != nil {
                // Nothing has been sent yet, so the client can still be told plainly.
                let answer = ResponseSerializer.errorResponse(status: 500, date: context.dates.current())
                return ((try? socket.write(answer)) != nil ? .sentThenClose : .failed, 0)
            }
            // The head is out: closing without the last chunk tells the client the body is
            // incomplete (RFC 9112 §8), rather than passing a truncated export off as whole.
            return (.failed, bytes)
        }
    }

    /// `size-in-hex CRLF data CRLF` (RFC 9112 §7.1).
    static func appendChunk(_ piece: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: String(piece.count, radix: 16).utf8)
        out.append(0x0D)
        out.append(0x0A)
        out.append(contentsOf: piece)
        out.append(0x0D)
        out.append(0x0A)
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
}

/// Writes whole buffers to a non-blocking socket, waiting for room with `poll`.
struct BlockingSocketWriter {
    let fd: Int32
    let timeout: Duration

    /// Writes every byte of `bytes`.
    /// - Throws: `StreamWriteError` when the peer is gone or takes nothing for `timeout`.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        let milliseconds = Int32(clamping: timeout.nanoseconds / 1_000_000)
        while offset < bytes.count {
            let sent: Int?
            do {
                sent = try bytes.withUnsafeBytes { buffer in
                    try nonBlockingSystemCall("send") {
                        Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                    }
                }
            } catch {
                throw StreamWriteError(reason: "\(error)")
            }
            if let sent {
                offset += sent
                continue
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready: Int32?
            do {
                ready = try nonBlockingSystemCall("poll") { poll(&descriptor, 1, milliseconds) }
            } catch {
                throw StreamWriteError(reason: "\(error)")
            }
            if ready == 0 { throw StreamWriteError(reason: "client took nothing for \(timeout)") }
            if descriptor.revents & Int16(POLLERR | POLLHUP) != 0 && descriptor.revents & Int16(POLLOUT) == 0 {
                throw StreamWriteError(reason: "connection closed by peer")
            }
        }
    }
}
