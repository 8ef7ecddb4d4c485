/* getattrs PATH N: N forced GETATTRs of PATH (statx with AT_STATX_FORCE_SYNC, which a FUSE mount
 * answers by asking its server every time); prints the wall time in seconds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: getattrs PATH N\n");
        return 2;
    }
    long n = atol(argv[2]);
    struct statx sx;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        if (statx(AT_FDCWD, argv[1], AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx) != 0) {
            perror("statx");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.3f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
