// Linux interfaces the Swift Glibc module does not export: epoll, eventfd, and two _GNU_SOURCE calls.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <pthread.h>

// Declared here because Glibc's module is built without _GNU_SOURCE, which hides them.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);
