#if canImport(Glibc)
import Glibc
#endif

/// Serves files below a root directory (the portal's `Public/`) with validators and caching.
///
/// Path safety: the relative path is split into components and refused if any is empty, `.`,
/// `..`, hidden (starts with `.`) or holds a backslash or control character; targets with
/// encoded slashes, backslashes or NUL (`%2f`, `%5c`, `%00`) are refused; and the file's
/// `realpath` must lie inside the root's `realpath`, so a symlink pointing out is refused.
///
/// Caching: files up to `maxCachedFileSize` are kept in memory after their first request.
/// An entry is trusted for one second, then revalidated with `stat` (device, inode, size and
/// mtime), so an edited file is served fresh within a second. Larger files are read per request.
public final class StaticFiles: @unchecked Sendable {
    /// The directory files are served from, as given.
    public let root: String
    /// Files up to this many bytes are kept in memory.
    public let maxCachedFileSize: Int
    /// The `Cache-Control` value sent with every file.
    public let cacheControl: String

    /// How long a cache entry is used before `stat` checks the file again.
    static let revalidationNanoseconds: UInt64 = 1_000_000_000
    /// Total bytes of file bodies kept in memory; beyond it files are read per request.
    static let maxTotalCachedBytes = 64 * 1024 * 1024

    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    private struct Entry {
        var identity: FileIdentity
        var resolvedPath: String
        var headers: HTTPHeaders
        var etag: String
        var body: [UInt8]?
        var checkedAt: UInt64
    }

    private let lock = ConditionLock()
    private var cache: [String: Entry] = [:]
    private var cachedBytes = 0

    /// Creates a file server for `root`; the directory is resolved on each cache miss, so it
    /// may be created after this call.
    public init(root: String, maxCachedFileSize: Int = 256 * 1024, cacheControl: String = "public, max-age=300") {
        self.root = root
        self.maxCachedFileSize = maxCachedFileSize
        self.cacheControl = cacheControl
    }

    /// The response for `relativePath` below the root, or nil when the file does not exist,
    /// is not a regular file, or the path is refused for safety.
    ///
    /// Handles GET and HEAD (other methods get nil), answering 304 to a matching
    /// `If-None-Match`, or when that is absent, to a satisfied `If-Modified-Since`.
    public func response(for request: Request, relativePath: String) -> Response? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        guard Self.isSafeTarget(request.target), let relative = Self.safeRelativePath(relativePath) else { return nil }
        guard let entry = lookup(relative) else { return nil }

        if let condition = request.headers["If-None-Match"] {
            // RFC 9110 §13.1.2: weak comparison for GET/HEAD; when present, If-Modified-Since is ignored.
            if Self.etagListMatches(condition, entry.etag) { return Response(status: 304, headers: entry.headers) }
        } else if let since = request.headers["If-Modified-Since"].flatMap(HTTPDate.parse),
            entry.identity.modifiedSeconds <= since
        {
            return Response(status: 304, headers: entry.headers)
        }

        if let body = entry.body { return Response(status: 200, headers: entry.headers, body: body) }
        guard let body = Self.readFile(entry.resolvedPath, expectedSize: entry.identity.size) else { return nil }
        return Response(status: 200, headers: entry.headers, body: body)
    }

    // MARK: - Path safety

    /// Refuses targets whose path carries an encoded slash, backslash or NUL: once decoded,
    /// these would change how the path splits into components.
    static func isSafeTarget(_ target: String) -> Bool {
        let rawPath = RequestTarget.split(target).path.lowercased()
        return !rawPath.contains("%2f") && !rawPath.contains("%5c") && !rawPath.contains("%00")
    }

    /// The relative path with leading slashes removed if every component is safe, else nil.
    /// An empty path means `index.html`.
    static func safeRelativePath(_ path: String) -> String? {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return "index.html" }
        for component in trimmed.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty, !component.hasPrefix("."),
                !component.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") })
            else { return nil }
        }
        return String(trimmed)
    }

    // MARK: - Cache

    private func lookup(_ relative: String) -> Entry? {
        let now = monotonicNanoseconds()
        let cached: Entry? = lock.withLock { cache[relative] }
        if let cached, now &- cached.checkedAt < Self.revalidationNanoseconds { return cached }

        guard let resolved = resolveInsideRoot(relative), let identity = Self.identity(of: resolved) else {
            lock.withLock {
                if let old = cache.removeValue(forKey: relative) { cachedBytes -= old.body?.count ?? 0 }
            }
            return nil
        }
        if var cached, cached.identity == identity, cached.resolvedPath == resolved {
            cached.checkedAt = now
            lock.withLock { cache[relative]?.checkedAt = now }
            return cached
        }

        let etag = "\"\(String(identity.size, radix: 16))-\(String(identity.modifiedSeconds, radix: 16))"
            + "\(String(identity.modifiedNanoseconds, radix: 16))\""
        var headers = HTTPHeaders()
        headers.add("Content-Type", Self.contentType(forPath: relative))
        headers.add("ETag", etag)
        headers.add("Last-Modified", HTTPDate.format(identity.modifiedSeconds))
        headers.add("Cache-Control", cacheControl)
        var entry = Entry(identity: identity, resolvedPath: resolved, headers: headers, etag: etag, body: nil, checkedAt: now)
        if identity.size <= maxCachedFileSize {
            guard let body = Self.readFile(resolved, expectedSize: identity.size) else { return nil }
            entry.body = body
        }
        lock.withLock {
            let old = cache[relative]?.body?.count ?? 0
            if let body = entry.body, cachedBytes - old + body.count > Self.maxTotalCachedBytes {
                cache[relative] = nil
                cachedBytes -= old
                return
            }
            cachedBytes += (entry.body?.count ?? 0) - old
            cache[relative] = entry
        }
        return entry
    }

    /// `realpath` of the file, if it exists and lies strictly inside the root's `realpath`.
    private func resolveInsideRoot(_ relative: String) -> String? {
        guard let rootPath = Self.realPath(root), let filePath = Self.realPath(root + "/" + relative) else { return nil }
        let prefix = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
        return filePath.hasPrefix(prefix) ? filePath : nil
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard (try? systemCall("stat", { stat(path, &info) })) != nil, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int(info.st_size),
            modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// Reads a whole regular file; nil if it vanished or changed size while being read.
    static func readFile(_ path: String, expectedSize: Int) -> [UInt8]? {
        // O_NOFOLLOW: the path is already resolved, so a symlink here means it was swapped in.
        guard let fd = try? systemCall("open", { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }) else { return nil }
        defer { closeDescriptor(fd) }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: expectedSize) { buffer, initialized in
            while initialized < expectedSize {
                guard let count = try? systemCall("read", { read(fd, buffer.baseAddress! + initialized, expectedSize - initialized) }),
                    count > 0
                else {
                    failed = true
                    return
                }
                initialized += count
            }
        }
        return failed ? nil : bytes
    }

    // MARK: - Validators and types

    private static func etagListMatches(_ header: String, _ etag: String) -> Bool {
        let opaque = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for element in header.split(separator: ",") {
            var candidate = element.trimmingOptionalWhitespace()
            if candidate == "*" { return true }
            if candidate.hasPrefix("W/") { candidate = String(candidate.dropFirst(2)) }
            if candidate == opaque { return true }
        }
        return false
    }

    /// The media type for a file name's extension; `application/octet-stream` when unknown.
    static func contentType(forPath path: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "application/octet-stream" }
        switch path[path.index(after: dot)...].lowercased() {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json", "map": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        case "csv": return "text/csv; charset=utf-8"
        case "xml": return "application/xml"
        case "ics": return "text/calendar; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "avif": return "image/avif"
        case "ico": return "image/x-icon"
        case "woff": return "font/woff"
        case "woff2": return "font/woff2"
        case "ttf": return "font/ttf"
        case "otf": return "font/otf"
        case "pdf": return "application/pdf"
        case "wasm": return "application/wasm"
        case "webmanifest": return "application/manifest+json"
        default: return "application/octet-stream"
        }
    }
}
