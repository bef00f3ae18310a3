#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import HTTPServer

/// A temporary directory tree: `root/` (served) next to `outside/` (must never be served).
final class FileTree {
    let base: String
    var root: String { base + "/root" }
    var outside: String { base + "/outside" }

    init() {
        var template = Array("/tmp/static-files-test-XXXXXX".utf8CString)
        base = String(cString: mkdtemp(&template)!)
        mkdir(root, 0o755)
        mkdir(outside, 0o755)
        mkdir(root + "/css", 0o755)
        write("root/index.html", "<h1>home</h1>")
        write("root/css/site.css", "body{}")
        write("root/app.js", "1")
        write("root/logo.png", "png")
        write("root/data.bin", "bin")
        write("root/.env", "SECRET=1")
        write("outside/secret.txt", "secret")
        symlink(outside + "/secret.txt", root + "/escape.txt")
        symlink(outside, root + "/escape-dir")
        symlink(root + "/css/site.css", root + "/inside-link.css")
    }

    func write(_ relative: String, _ text: String) {
        let fd = open(base + "/" + relative, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func setModificationTime(_ relative: String, seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        utimensat(AT_FDCWD, base + "/" + relative, &times, 0)
    }

    deinit {
        for path in ["root/index.html", "root/css/site.css", "root/app.js", "root/logo.png", "root/data.bin", "root/.env",
                     "root/escape.txt", "root/escape-dir", "root/inside-link.css", "root/big.txt", "outside/secret.txt"] {
            unlink(base + "/" + path)
        }
        rmdir(root + "/css")
        rmdir(root)
        rmdir(outside)
        rmdir(base)
    }
}

@Suite struct StaticFilesTests {
    func get(_ files: StaticFiles, _ path: String, target: String? = nil, headers: HTTPHeaders = HTTPHeaders(), method: String = "GET") -> Response? {
        files.response(for: Request(method: method, target: target ?? path, headers: headers), relativePath: path)
    }

    @Test func servesFilesWithTheirContentTypes() throws {
        let tree = FileTree()
        let files = StaticFiles(root: tree.root)
        let expected = [
            "/index.html": "text/html; charset=utf-8", "/css/site.css": "text/css; charset=utf-8",
            "/app.js": "text/javascript; charset=utf-8", "/logo.png": "image/png", "/data.bin": "application/octet-stream",
        ]
        for (path, type) in expected {
            let response = try #require(get(files, path), "\(path)")
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == type)
            #expect(response.headers["Cache-Control"] == "public, max-age=300")
        }
        #expect(get(files, "/")?.body == Array("<h1>home</h1>".utf8))
        #expect(get(files, "/missing.html") == nil)
        #expect(get(files, "/css") == nil)
        #expect(get(files, "/index.html", method: "POST") == nil)
        #expect(get(files, "/index.html", method: "HEAD")?.status == 200)
    }

    @Test func answers304ToMatchingValidators() throws {
        let tree = FileTree()
        tree.setModificationTime("root/index.html", seconds: 784_111_777)
        let files = StaticFiles(root: tree.root)
        let first = try #require(get(files, "/index.html"))
        let etag = try #require(first.headers["ETag"])
        #expect(first.headers["Last-Modified"] == "Sun, 06 Nov 1994 08:49:37 GMT")

        #expect(get(files, "/index.html", headers: ["If-None-Match": etag])?.status == 304)
        #expect(get(files, "/index.html", headers: ["If-None-Match": "\"other\", W/\(etag)"])?.status == 304)
        #expect(get(files, "/index.html", headers: ["If-None-Match": "*"])?.status == 304)
        #expect(get(files, "/index.html", headers: ["If-None-Match": "\"other\""])?.status == 200)
        #expect(get(files, "/index.html", headers: ["If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"])?.status == 304)
        #expect(get(files, "/index.html", headers: ["If-Modified-Since": "Sat, 05 Nov 1994 08:49:37 GMT"])?.status == 200)
        // RFC 9110 §13.1.3: If-None-Match takes precedence over If-Modified-Since.
        #expect(get(files, "/index.html", headers: ["If-None-Match": "\"other\"", "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"])?.status == 200)
        let notModified = try #require(get(files, "/index.html", headers: ["If-None-Match": etag]))
        #expect(notModified.body.isEmpty)
        #expect(notModified.headers["ETag"] == etag)
    }

    @Test func changedFileIsServedFreshWithANewETag() throws {
        let tree = FileTree()
        let files = StaticFiles(root: tree.root)
        let before = try #require(get(files, "/app.js"))
        tree.write("root/app.js", "changed")
        tree.setModificationTime("root/app.js", seconds: 1_000_000_000)
        usleep(1_100_000)  // past the one-second revalidation window
        let after = try #require(get(files, "/app.js"))
        #expect(after.body == Array("changed".utf8))
        #expect(after.headers["ETag"] != before.headers["ETag"])
    }

    @Test func filesLargerThanTheCacheLimitAreStillServed() throws {
        let tree = FileTree()
        tree.write("root/big.txt", String(repeating: "b", count: 5000))
        let files = StaticFiles(root: tree.root, maxCachedFileSize: 1000)
        #expect(get(files, "/big.txt")?.body.count == 5000)
        #expect(get(files, "/big.txt")?.body.count == 5000)
    }

    @Test(arguments: [
        "/../outside/secret.txt", "../outside/secret.txt", "/css/../../outside/secret.txt", "/./index.html",
        "/css//site.css", "/.env", "/css/", "/a\\..\\b", "/escape.txt", "/escape-dir/secret.txt",
    ])
    func refusesPathsThatCouldLeaveTheRoot(_ path: String) {
        let tree = FileTree()
        #expect(get(StaticFiles(root: tree.root), path) == nil)
    }

    @Test func refusesEncodedTraversalAndEncodedSlashes() {
        let tree = FileTree()
        let files = StaticFiles(root: tree.root)
        // Decoded by the parser into "..", which the component check refuses.
        let decoded = Request(target: "/%2e%2e/outside/secret.txt")
        #expect(decoded.path == "/../outside/secret.txt")
        #expect(files.response(for: decoded, relativePath: decoded.path) == nil)
        for target in ["/css%2fsite.css", "/css%2Fsite.css", "/..%2foutside%2fsecret.txt", "/css%5csite.css"] {
            let request = Request(target: target)
            #expect(files.response(for: request, relativePath: request.path) == nil, "\(target)")
        }
    }

    @Test func followsSymlinksThatStayInsideTheRoot() {
        let tree = FileTree()
        #expect(get(StaticFiles(root: tree.root), "/inside-link.css")?.body == Array("body{}".utf8))
    }
}
