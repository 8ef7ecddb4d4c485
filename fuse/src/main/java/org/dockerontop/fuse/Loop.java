package org.dockerontop.fuse;

/**
 * Who reads /dev/fuse and answers the kernel (mount option {@code loop=}).
 *
 * <p>Our own loop ({@link JavaLoop}) costs less per request and can answer what libfuse 2 cannot
 * (findings 24 and 27), but it mounts with mount(2), which needs CAP_SYS_ADMIN in the mount's user
 * namespace; libfuse 2.9 ({@link FuseLoop}) can also mount through the set-user-ID fusermount
 * helper, so an unprivileged user keeps a working mount.
 */
enum Loop {
    /** {@code loop=java}: our loop, and a refused mount(2) is an error. */
    JAVA,
    /** {@code loop=libfuse}: libfuse 2.9's session and high-level API. */
    LIBFUSE,
    /** No option: our loop, falling back to libfuse only where mount(2) answers EPERM. */
    JAVA_ELSE_LIBFUSE
}
