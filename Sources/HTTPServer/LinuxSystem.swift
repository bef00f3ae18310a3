import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Linux calls the Swift `Glibc` module does not export (`sys/epoll.h`, `sys/eventfd.h`, `accept4`,
/// `pthread_setname_np`), taken from the `CLinux` shim with their real C declarations and layouts.
enum LinuxSystem {
    static let epollIn = EPOLLIN.rawValue
    static let epollOut = EPOLLOUT.rawValue
    static let epollErr = EPOLLERR.rawValue
    static let epollHup = EPOLLHUP.rawValue
    static let epollRdHup = EPOLLRDHUP.rawValue
    static let epollExclusive = EPOLLEXCLUSIVE.rawValue
    static let epollEdgeTriggered = EPOLLET.rawValue
    static let epollCtlAdd = EPOLL_CTL_ADD
    static let epollCtlDel = EPOLL_CTL_DEL
    static let epollCloexec = Int32(EPOLL_CLOEXEC)
    static let eventfdNonblock = Int32(EFD_NONBLOCK)
    static let eventfdCloexec = Int32(EFD_CLOEXEC)

    static func epollCreate1(_ flags: Int32) -> Int32 { epoll_create1(flags) }

    static func epollWaitFunction(_ epollFD: Int32, _ events: UnsafeMutablePointer<epoll_event>, _ capacity: Int32, _ timeout: Int32) -> Int32 {
        epoll_wait(epollFD, events, capacity, timeout)
    }

    static func eventfd(_ initial: UInt32, _ flags: Int32) -> Int32 { CLinux.eventfd(initial, flags) }

    static func accept4(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?, _ flags: Int32) -> Int32 {
        CLinux.accept4(fd, address, length, flags)
    }

    static func setThreadName(_ thread: pthread_t, _ name: String) -> Int32 { pthread_setname_np(thread, name) }

    /// `epoll_ctl` with an event mask and the descriptor as the event's data.
    static func epollControl(_ epollFD: Int32, _ operation: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        return epoll_ctl(epollFD, operation, fd, &event)
    }
}

/// A buffer of `epoll_event`s for `epoll_wait`.
struct EpollEventBuffer {
    let capacity: Int32
    let storage: UnsafeMutablePointer<epoll_event>

    init(capacity: Int32) {
        self.capacity = capacity
        storage = .allocate(capacity: Int(capacity))
    }

    func deallocate() { storage.deallocate() }

    /// The event mask of the event at `index`.
    func events(at index: Int) -> UInt32 { storage[index].events }

    /// The descriptor stored as the data of the event at `index`.
    func fd(at index: Int) -> Int32 { storage[index].data.fd }
}
