package org.dockerontop.overlay.mount;

import static org.dockerontop.overlay.mount.Syscalls.AT_FDCWD;
import static org.dockerontop.overlay.mount.Syscalls.O_CLOEXEC;
import static org.dockerontop.overlay.mount.Syscalls.SYS_OPEN_TREE;
import static org.dockerontop.overlay.mount.Syscalls.cString;
import static org.dockerontop.overlay.mount.Syscalls.errno;
import static org.dockerontop.overlay.mount.Syscalls.libc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A private clone of the mount a directory is on, rooted at that directory, read-only and noatime:
 * what the kernel overlay makes of each of its lower layers when it mounts (a private clone of the
 * layer's mount, flagged MNT_READONLY and MNT_NOATIME). The clone is attached to no mount namespace
 * and is reached only through its descriptor, so while it is open
 * <ul>
 * <li>the directory can be renamed, and its filesystem unmounted, and the clone still shows the
 * same tree (an unmount does not even see it as busy);</li>
 * <li>filesystems mounted inside the directory are not in it: a clone without AT_RECURSIVE is the
 * one filesystem, as an overlay layer is;</li>
 * <li>reading through it changes no access time, and nothing can be written through it (EROFS).</li>
 * </ul>
 * The clone goes away with its last descriptor (or working directory).
 */
public final class DetachedClone {
    static final long SYS_MOUNT_SETATTR = 442;
    private static final int OPEN_TREE_CLONE = 1;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final long MOUNT_ATTR_RDONLY = 0x1;
    private static final long MOUNT_ATTR_NOATIME = 0x10;
    /** The atime bits, which must all be cleared to set one of their values. */
    private static final long MOUNT_ATTR_ATIME_MASK = 0x70;
    /** struct mount_attr: attr_set, attr_clr, propagation, userns_fd (all u64). */
    private static final int MOUNT_ATTR_SIZE = 32;

    private DetachedClone() {
    }

    /**
     * Clones the mount {@code dir} is on, rooted at {@code dir}, and makes the clone read-only and
     * noatime.
     *
     * @return the clone's descriptor (an O_PATH one, close-on-exec): use it with the *at calls, or
     *         fchdir into it
     * @throws MountException EPERM without CAP_SYS_ADMIN (e.g. an unprivileged user namespace),
     *                        ENOSYS on kernels before 5.12 (open_tree came with 5.2, mount_setattr
     *                        with 5.12), ENOENT or ENOTDIR if {@code dir} is not a directory
     */
    public static int open(Path dir) throws MountException {
        long fd = libc().syscall(SYS_OPEN_TREE, AT_FDCWD, cString(dir), OPEN_TREE_CLONE | O_CLOEXEC, null, 0);
        if (fd < 0) {
            throw new MountException(errno(), "cannot clone the mount of " + dir + " (open_tree)");
        }
        ByteBuffer attr = ByteBuffer.allocate(MOUNT_ATTR_SIZE).order(ByteOrder.nativeOrder());
        attr.putLong(0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME);
        attr.putLong(8, MOUNT_ATTR_ATIME_MASK);
        if (libc().syscall(SYS_MOUNT_SETATTR, fd, cString(""), AT_EMPTY_PATH, attr.array(), MOUNT_ATTR_SIZE) != 0) {
            int e = errno();
            Syscalls.close((int) fd);
            throw new MountException(e, "cannot make the clone of " + dir + " read-only (mount_setattr)");
        }
        return (int) fd;
    }
}
