package org.dockerontop.overlay.mount;

import jnr.constants.platform.Errno;

/**
 * A mount-related system call failed. Carries the errno (0 when the failure did not come from the
 * kernel) so that callers can tell "the kernel refuses these layers" (EPERM, ENODEV, EINVAL,
 * EOPNOTSUPP...) from other failures, and a message that names the operation, the paths and, for
 * overlay mounts, the kernel's own explanation from the fs_context log.
 */
public class MountException extends Exception {
    private final int errno;

    public MountException(int errno, String message) {
        super(message + (errno != 0 ? " (" + describe(errno) + ")" : ""));
        this.errno = errno;
    }

    /** The errno reported by the kernel, or 0 if the failure was not a system call error. */
    public int errno() {
        return errno;
    }

    /** The symbolic name of {@link #errno()}, e.g. {@code EPERM}, or {@code "errno N"} if unknown. */
    public String errnoName() {
        return name(errno);
    }

    /** @return e.g. {@code EPERM} for 1, or {@code errno N} for a number jnr-constants does not know */
    public static String name(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }

    /** @return e.g. {@code EPERM: Operation not permitted} */
    public static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        if (e == null || e == Errno.__UNKNOWN_CONSTANT__) {
            return "errno " + errno;
        }
        return e.name() + ": " + e.description();
    }
}
