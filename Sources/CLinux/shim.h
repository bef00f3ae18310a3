// Linux interfaces the Swift Glibc module does not export: epoll, eventfd, prctl, and two _GNU_SOURCE calls.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
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

// The calling thread's CPU affinity mask (up to 1024 CPUs) into `mask`; returns how many CPUs it allows, or -1.
// Raw system calls: glibc declares sched_{get,set}affinity and the CPU_* macros only under _GNU_SOURCE.
enum { clinic_cpu_mask_words = 1024 / (8 * sizeof(unsigned long)), clinic_cpu_mask_bits = 8 * sizeof(unsigned long) };
static inline int clinic_read_affinity(unsigned long mask[clinic_cpu_mask_words]) {
    long bytes = syscall(SYS_sched_getaffinity, 0, clinic_cpu_mask_words * sizeof(unsigned long), mask);
    if (bytes <= 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < (int)(bytes * 8); cpu++) {
        count += (int)((mask[cpu / clinic_cpu_mask_bits] >> (cpu % clinic_cpu_mask_bits)) & 1UL);
    }
    return count;
}

// How many CPUs the calling thread may run on, or -1.
static inline int clinic_allowed_cpu_count(void) {
    unsigned long mask[clinic_cpu_mask_words] = { 0 };
    return clinic_read_affinity(mask);
}

// Pins the calling thread to one CPU: the `index`-th (0 = the last) of the CPUs it may run on, counted from the end.
// Returns that CPU, or -1 without changing anything when the thread may run on fewer than `index` + 2 CPUs (so at
// least the first allowed CPU is always left to other threads) or the kernel refuses.
static inline int clinic_pin_to_cpu_from_end(int index) {
    unsigned long allowed[clinic_cpu_mask_words] = { 0 };
    if (index < 0 || clinic_read_affinity(allowed) < index + 2) return -1;
    int seen = 0;
    for (int cpu = 1024 - 1; cpu >= 0; cpu--) {
        if (!((allowed[cpu / clinic_cpu_mask_bits] >> (cpu % clinic_cpu_mask_bits)) & 1UL) || seen++ < index) continue;
        unsigned long one[clinic_cpu_mask_words] = { 0 };
        one[cpu / clinic_cpu_mask_bits] = 1UL << (cpu % clinic_cpu_mask_bits);
        return syscall(SYS_sched_setaffinity, 0, sizeof one, one) == 0 ? cpu : -1;
    }
    return -1;
}

// The CPU the calling thread runs on now, or -1.
static inline int clinic_current_cpu(void) {
    unsigned cpu = 0;
    return syscall(SYS_getcpu, &cpu, (void *)0, (void *)0) == 0 ? (int)cpu : -1;
}

// Makes a posix_spawn child start from a clean slate, after the caller's own file actions: every descriptor from 3
// up closed (posix_spawn_file_actions_addclosefrom_np, glibc >= 2.34, looked up at run time), no signal blocked,
// and SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP and SIGCHLD at their default actions whatever the parent does
// with them. `extra_flags` is added to the spawn flags (e.g. glibc's POSIX_SPAWN_SETSID, 0x80).
static inline void clinic_spawn_clean(posix_spawn_file_actions_t *actions, posix_spawnattr_t *attributes, short extra_flags) {
    typedef int (*close_from_t)(posix_spawn_file_actions_t *, int);
    close_from_t close_from = (close_from_t)dlsym((void *)0, "posix_spawn_file_actions_addclosefrom_np");
    if (close_from) close_from(actions, 3);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    const int signals[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&defaults, signals[i]);
    posix_spawnattr_setsigmask(attributes, &none);
    posix_spawnattr_setsigdefault(attributes, &defaults);
    posix_spawnattr_setflags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extra_flags));
}
