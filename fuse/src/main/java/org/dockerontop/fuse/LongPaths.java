package org.dockerontop.fuse;

import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;

/**
 * Layer paths too long for one system call argument. A path on the mount may be up to PATH_MAX
 * (4096 bytes) relative to any directory on it, and its layer path is the layer directory plus the
 * whole overlay path, so the kernel would refuse it (ENAMETOOLONG) where the kernel overlay does not
 * (pjdfstest's PATH_MAX cases). Such a path is rewritten as {@code /proc/self/fd/N/rest}, N being a
 * descriptor of a directory deep in it, opened by walking the path in pieces the kernel accepts.
 * The descriptors belong to the calling thread and stay open until {@link #release}, which the
 * serving loop calls after every request.
 */
final class LongPaths {
    private static final LibC C = Native.LIBC;
    /** Paths up to this length are used as they are: room is left for a name to be appended. */
    static final int LIMIT = 3800;
    private static final int O_PATH_DIR = Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC;

    private static final ThreadLocal<int[]> OPEN = ThreadLocal.withInitial(() -> new int[9]); // [count, fds...]

    private LongPaths() {
    }

    /** {@code path} itself if short enough, else an equivalent short one (see the class comment). */
    static String shorten(String path) {
        if (path.length() <= LIMIT) {
            return path;
        }
        int dirfd = Native.AT_FDCWD; // the first piece is absolute, or relative to the lower layer (the working directory)
        String rest = path;
        while (rest.length() > LIMIT) {
            int cut = rest.lastIndexOf('/', LIMIT);
            if (cut <= 0) {
                throw ErrnoException.of(org.dockerontop.overlay.nativeio.Errno.ENAMETOOLONG, "resolve", path);
            }
            String piece = rest.substring(0, cut);
            int fd = C.openat(dirfd, piece, O_PATH_DIR, 0);
            int errno = fd < 0 ? Native.errno() : 0;
            if (dirfd >= 0) {
                C.close(dirfd);
            }
            if (fd < 0) {
                throw ErrnoException.of(errno, "resolve", path);
            }
            dirfd = fd;
            rest = rest.substring(cut + 1);
        }
        keep(dirfd);
        return "/proc/self/fd/" + dirfd + "/" + rest;
    }

    private static void keep(int fd) {
        int[] open = OPEN.get();
        if (open[0] + 1 == open.length) {
            int[] bigger = java.util.Arrays.copyOf(open, open.length * 2);
            OPEN.set(bigger);
            open = bigger;
        }
        open[++open[0]] = fd;
    }

    /** Closes the descriptors the calling thread's paths needed (after its request is answered). */
    static void release() {
        int[] open = OPEN.get();
        for (int i = 1; i <= open[0]; i++) {
            C.close(open[i]);
        }
        open[0] = 0;
    }
}
