package org.dockerontop.fuse;

/**
 * An open file: the real file descriptor and which layer it is on. A read-only descriptor of a
 * lower file is switched to the upper copy (by dup2 onto the same number, so concurrent reads never
 * see a closed or reused descriptor) when the file is copied up, as the kernel overlay does.
 */
final class Handle {
    final int fd;
    volatile boolean upper;
    /** The overlay path a lower handle was opened at (to find it on copy-up); null for upper ones. */
    final String lowerPath;
    /**
     * The inode number the overlay reports for the file, or 0 if not known (created files, files
     * copied up at open): the key of {@link OverlayFs}'s hard-link tracking.
     */
    volatile long ino;
    /**
     * The file had several names when opened or got another since: a change through this handle
     * must be shown to the kernel's other nodes of it. False for almost every file, so the write
     * path looks no further.
     */
    volatile boolean linked;
    /**
     * The kernel node this open file is counted on by {@link Passthrough} (0: not counted), and
     * its backing id there if the kernel serves it by passthrough (0: cached).
     */
    volatile long ioNode;
    volatile int backingId;

    Handle(int fd, boolean upper, String lowerPath) {
        this.fd = fd;
        this.upper = upper;
        this.lowerPath = lowerPath;
    }
}
