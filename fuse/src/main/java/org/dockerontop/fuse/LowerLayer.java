package org.dockerontop.fuse;

import java.nio.file.Path;

import org.dockerontop.overlay.mount.DetachedClone;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lower directory as the server reaches it: its working directory, entered once at start-up,
 * so that every lower path is relative ({@code ./a/b}) and the directory's name is never looked up
 * again. Where the server may (CAP_SYS_ADMIN, Linux 5.12+) that working directory is a
 * {@link DetachedClone} of the directory's mount, as the kernel overlay takes of its lower layers:
 * renaming the base or unmounting its filesystem while mounted changes nothing the mount shows,
 * filesystems mounted inside the base are not shown (the kernel overlay's lower layer is one
 * filesystem too), reading a symbolic link leaves its access time alone, and the base cannot be
 * written through it even by mistake. Elsewhere (a user running the command without privileges) it
 * is the directory itself, which still follows a rename and keeps its filesystem mounted (EBUSY).
 *
 * <p>Why the working directory rather than {@code /proc/self/fd/N/...} paths: those cost a walk of
 * /proc, the process and the descriptor on every system call (lstat of a 3-deep path: 1.9 µs as a
 * plain path, 4.2 µs through /proc/self/fd, measured on this machine), and the xattr calls have no
 * form taking a directory descriptor before Linux 6.13. So the server must not change its working
 * directory after {@link #enter}, nor resolve a relative path of its own (the mount point, the log
 * file, the upper and work directories are absolute).
 */
final class LowerLayer {
    private static final Logger LOG = LoggerFactory.getLogger(LowerLayer.class);

    /** The prefix of every lower path: {@code lower + "/a/b"} is the lower entry {@code /a/b}. */
    final String path;
    /** The directory's canonical name at start-up, as a byte string: for messages, and what only a name answers. */
    final String name;
    private LowerLayer(String path, String name) {
        this.path = path;
        this.name = name;
    }

    /**
     * Makes the lower directory {@code dir} (canonical) the process's working directory, as a
     * private clone of its mount where possible.
     *
     * @throws ErrnoException if neither the clone nor the directory itself can be entered (the
     *                        errno of open or fchdir)
     */
    static LowerLayer enter(Path dir) {
        String name = Native.bytesToString(dir.toString());
        int fd;
        try {
            fd = DetachedClone.open(dir);
        } catch (MountException e) {
            LOG.info("reading the lower directory through its own path, not a private clone of its mount: {}",
                    e.getMessage());
            fd = Native.LIBC.open(name, Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
            if (fd < 0) {
                throw ErrnoException.of(Native.errno(), "open", name);
            }
        }
        try {
            if (Native.LIBC.fchdir(fd) != 0) {
                throw ErrnoException.of(Native.errno(), "fchdir", name);
            }
        } finally {
            Native.LIBC.close(fd); // the working directory holds it from here on
        }
        return new LowerLayer(".", name);
    }

    /**
     * Opens {@code path} of the lower layer (never for writing) with {@code flags}, not updating
     * its access time: the kernel overlay mounts its lower layers noatime and opens real files
     * O_NOATIME, so listing or reading through it leaves the base directory's atimes as they were,
     * and so must we (the base is never modified). O_NOATIME needs the file's owner or CAP_FOWNER;
     * without either the file is opened without it, as the kernel overlay does (its lower mount's
     * noatime still holds then, and so does ours where the layer is a {@link DetachedClone}).
     * A descriptor, or -1 with errno set.
     */
    static int open(String path, int flags) {
        int fd = Native.LIBC.open(path, flags | Native.O_NOATIME, 0);
        if (fd < 0 && Native.errno() == Errno.EPERM) {
            fd = Native.LIBC.open(path, flags, 0);
        }
        return fd;
    }
}
