/* Baseline for login_per_s (Tests/bench/portal.sh): argon2id verifications per second of one PHC hash,
 * with libargon2 (the library the portal links), one thread per core, for a number of seconds.
 * usage: argon2_baseline '<PHC hash>' '<password>' <seconds> <threads> */
#include <argon2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *hash, *password;
static double seconds;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *work(void *count) {
    double end = now() + seconds;
    while (now() < end) {
        if (argon2id_verify(hash, password, strlen(password)) != ARGON2_OK) { fprintf(stderr, "verify failed\n"); exit(1); }
        ++*(long *)count;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s hash password seconds threads\n", argv[0]); return 2; }
    hash = argv[1]; password = argv[2]; seconds = atof(argv[3]);
    int threads = atoi(argv[4]);
    pthread_t ids[64];
    long counts[64] = {0}, total = 0;
    for (int i = 0; i < threads && i < 64; i++) pthread_create(&ids[i], NULL, work, &counts[i]);
    for (int i = 0; i < threads && i < 64; i++) { pthread_join(ids[i], NULL); total += counts[i]; }
    printf("%.1f\n", total / seconds);
    return 0;
}
