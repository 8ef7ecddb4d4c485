package org.dockerontop.overlay.nativeio;

/**
 * A failed system call, carrying the errno the kernel returned. Filesystem code throws this (or
 * creates it with {@link #of}) and the FUSE layer maps it to {@code -errno} in one place.
 * Stack traces are not filled in: these are expected, frequent results (ENOENT on lookup) and
 * not bugs.
 */
public final class ErrnoException extends RuntimeException {
    private final int errno;
    /** For {@link #of}: the message is made only if someone reads it. */
    private final String call;
    private final String path;

    public ErrnoException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
        this.call = null;
        this.path = null;
    }

    private ErrnoException(int errno, String call, String path) {
        super(null, null, false, false);
        this.errno = errno;
        this.call = call;
        this.path = path;
    }

    /**
     * The failure of {@code call} on {@code path}. Most of these (ENOENT of a lookup, ENODATA of
     * a getxattr) only become an errno in a FUSE reply, so the message is not built up front.
     */
    public static ErrnoException of(int errno, String call, String path) {
        return new ErrnoException(errno, call, path);
    }

    @Override
    public String getMessage() {
        return call == null ? super.getMessage() : call + "(" + path + "): " + Errno.name(errno);
    }

    public int errno() {
        return errno;
    }
}
