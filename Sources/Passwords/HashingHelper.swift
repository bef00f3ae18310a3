import CArgon2
import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hashing helper's side of `HashingProcess`: reads `HelperWire` requests, computes them on
/// `HashingThreads` and writes the replies, until its input ends.
public enum HashingHelper {
    /// `clinic hash-helper`: lowers this process's priority, ends with `parent`, then serves standard input and
    /// output. Returns when the server closes the socket.
    public static func main(threads: Int, parent: pid_t) {
        lowerPriority()
        #if os(Linux)
        _ = pthread_setname_np(pthread_self(), "clinic-hash")
        // Die with the server even if it is killed outright; checked after, in case it died before the call.
        _ = clinic_set_parent_death_signal(SIGKILL)
        #endif
        guard getppid() == parent else { return }
        serve(input: 0, output: 1, threads: threads)
    }

    /// Serves requests from `input` and writes replies to `output` until `input` ends or sends a malformed frame.
    static func serve(input: Int32, output: Int32, threads count: Int) {
        let threads = HashingThreads(count: max(1, count))
        defer { threads.stop() }
        let writeLock = NSLock()
        while var body = HelperWire.readFrame(input) {
            let request = HelperWire.parseRequest(body)
            PasswordHasher.wipe(&body)
            guard let (id, job) = request else { return }
            threads.submit {
                let outcome = isAcceptable(job) ? job.perform() : Argon2Job.Outcome(code: ARGON2_INCORRECT_PARAMETER.rawValue)
                job.wipePassword()
                let reply = HelperWire.reply(id: id, outcome: outcome)
                writeLock.lock()
                _ = HelperWire.writeAll(output, reply)
                writeLock.unlock()
            }
        }
    }

    /// The same bounds the server applies before it sends a job: a password of at most
    /// `PasswordHasher.maximumPasswordBytes`, costs inside `Argon2Parameters.acceptedMaximum`.
    static func isAcceptable(_ job: Argon2Job) -> Bool {
        switch job {
        case let .hash(parameters, salt, password):
            return parameters.isAcceptable && salt.count == PasswordHasher.saltBytes
                && password.count <= PasswordHasher.maximumPasswordBytes
        case let .verify(encoded, password):
            return PHCString(encoded) != nil && password.count <= PasswordHasher.maximumPasswordBytes
        }
    }

    /// Asks for the lowest weight for this process's autogroup (the helper started a session, so the group is
    /// its own). Kernels without autogroups have no such file; the threads' own niceness still applies. Without
    /// CAP_SYS_ADMIN the kernel takes one such change per 100 ms machine-wide and refuses others with EAGAIN (two
    /// servers starting together), so it tries for up to two seconds, and says so on standard error if it fails.
    private static func lowerPriority() {
        let fd = open("/proc/self/autogroup", O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array("\(HashingProcess.groupNiceness)\n".utf8)
        for _ in 0..<20 {
            if line.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == line.count { return }
            guard errno == EAGAIN || errno == EINTR else { break }
            usleep(100_000)
        }
        fputs("clinic hash-helper: could not lower its scheduling group's priority: \(String(cString: strerror(errno)))\n",
              stderr)
    }
}
