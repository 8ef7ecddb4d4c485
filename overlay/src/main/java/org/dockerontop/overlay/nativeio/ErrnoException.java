package org.dockerontop.overlay.nativeio;

/**
 * A failed system call, carrying the errno the kernel returned. Filesystem code throws this (or
 * creates it with {@link #of}) and the FUSE layer maps it to {@code -errno} in one place.
 * Stack traces are not filled in: these are expected, frequent results (ENOENT on lookup) and
 * not bugs.
 */
public final class ErrnoException extends RuntimeException {
    private final int errno;

    public ErrnoException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public static ErrnoException of(int errno, String call, String path) {
        return new ErrnoException(errno, call + "(" + path + "): " + Errno.name(errno));
    }

    public int errno() {
        return errno;
    }
}
