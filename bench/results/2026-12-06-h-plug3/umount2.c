/* umount2(2) of argv[1] with flags argv[2] (0 or 2 = MNT_DETACH), nothing else: no lookup of the path by umount(8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mount.h>
int main(int argc, char **argv) {
    int r = umount2(argv[1], argc > 2 ? atoi(argv[2]) : 0);
    if (r) { printf("umount2 %s: %s\n", argv[1], strerror(errno)); return 1; }
    printf("umount2 %s: 0\n", argv[1]);
    return 0;
}
