// Linux interfaces the Swift Glibc module does not export: epoll, eventfd, prctl, and two _GNU_SOURCE calls.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

// Declared here because Glibc's module is built without _GNU_SOURCE, which hides them.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);

// prctl is variadic, which Swift cannot call: the one use, as a plain function.
static inline int clinic_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

// sched_setattr / sched_getattr have no glibc wrapper. The layout is struct sched_attr (SCHED_ATTR_SIZE_VER0).
struct clinic_sched_attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

// The calling thread becomes SCHED_OTHER at `nice` and asks for scheduling slices of `slice_ns`. Linux 6.12 and
// later honour the slice for fair tasks (EEVDF); earlier kernels ignore it. Returns 0 or -1 with errno.
static inline int clinic_set_fair_priority(int nice, uint64_t slice_ns) {
    struct clinic_sched_attr attr = { sizeof attr, 0, 0, nice, 0, slice_ns, 0, 0 };
    return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
}

// The calling thread's scheduling slice in nanoseconds as the kernel reports it (0 if it reports none), or -1.
static inline int64_t clinic_fair_slice(void) {
    struct clinic_sched_attr attr = { 0 };
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return -1;
    return (int64_t)attr.runtime;
}
