#if canImport(Glibc)
import Glibc
#endif

/// Linux calls the Swift `Glibc` module does not export: `sys/epoll.h`, `sys/eventfd.h` and
/// the `_GNU_SOURCE` functions `accept4` and `pthread_setname_np`.
///
/// They are looked up once with `dlsym` from the C library already linked into every process,
/// which keeps this target free of an extra C shim target (Package.swift is shared). The
/// constants are the Linux ABI values from the kernel's uapi headers, stable by contract.
enum LinuxSystem {
    static let epollIn: UInt32 = 0x001
    static let epollOut: UInt32 = 0x004
    static let epollErr: UInt32 = 0x008
    static let epollHup: UInt32 = 0x010
    static let epollRdHup: UInt32 = 0x2000
    static let epollExclusive: UInt32 = 1 << 28
    static let epollEdgeTriggered: UInt32 = 1 << 31
    static let epollCtlAdd: Int32 = 1
    static let epollCtlDel: Int32 = 2
    static let epollCloexec: Int32 = 0o2000000
    static let eventfdNonblock: Int32 = 0o4000
    static let eventfdCloexec: Int32 = 0o2000000

    /// Size of `struct epoll_event`: packed (12 bytes) on x86-64, naturally aligned elsewhere.
    #if arch(x86_64)
    static let epollEventSize = 12
    static let epollDataOffset = 4
    #else
    static let epollEventSize = 16
    static let epollDataOffset = 8
    #endif

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("libc lacks \(name)")
        }
        return unsafeBitCast(address, to: type)
    }

    static let epollCreate1 = symbol("epoll_create1", as: (@convention(c) (Int32) -> Int32).self)
    static let epollCtlFunction = symbol(
        "epoll_ctl", as: (@convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32).self)
    static let epollWaitFunction = symbol(
        "epoll_wait", as: (@convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32).self)
    static let eventfd = symbol("eventfd", as: (@convention(c) (UInt32, Int32) -> Int32).self)
    static let accept4 = symbol(
        "accept4",
        as: (@convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32).self)
    static let setThreadName = symbol("pthread_setname_np", as: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)

    /// `epoll_ctl` with an event mask and the descriptor as the event's data.
    static func epollControl(_ epollFD: Int32, _ operation: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            raw.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: Int64(fd), toByteOffset: epollDataOffset, as: Int64.self)
            return epollCtlFunction(epollFD, operation, fd, raw.baseAddress)
        }
    }
}

/// A buffer of `epoll_event`s for `epoll_wait`, read without relying on Swift struct layout.
struct EpollEventBuffer {
    let capacity: Int32
    let storage: UnsafeMutableRawPointer

    init(capacity: Int32) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: Int(capacity) * LinuxSystem.epollEventSize, alignment: 8)
    }

    func deallocate() { storage.deallocate() }

    /// The event mask of the event at `index`.
    func events(at index: Int) -> UInt32 {
        storage.loadUnaligned(fromByteOffset: index * LinuxSystem.epollEventSize, as: UInt32.self)
    }

    /// The descriptor stored as the data of the event at `index`.
    func fd(at index: Int) -> Int32 {
        Int32(truncatingIfNeeded: storage.loadUnaligned(
            fromByteOffset: index * LinuxSystem.epollEventSize + LinuxSystem.epollDataOffset, as: Int64.self))
    }
}
