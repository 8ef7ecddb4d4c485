package org.dockerontop.overlay.mount;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.dockerontop.overlay.mount.Syscalls.*;

/**
 * Mounts and unmounts the kernel's overlayfs.
 *
 * <p>Mounting uses the new mount API (fsopen/fsconfig/fsmount/move_mount): every layer is passed as a
 * separate fsconfig parameter, so base paths containing commas or colons need no escaping (the old
 * mount(2) option string cannot express them reliably), paths longer than fsconfig's 255-byte string
 * limit are passed as O_PATH file descriptors, and the kernel's explanation of a refusal (its
 * fs_context log, e.g. "overlayfs: filesystem on upper not supported as upperdir") is read back and put
 * into the error. mount(2) is used only on kernels without fsopen (ENOSYS).
 */
public final class KernelOverlayMount {
    private static final Logger LOG = LoggerFactory.getLogger(KernelOverlayMount.class);

    /** fsconfig refuses string values longer than this (strndup_user with a 256-byte limit). */
    private static final int FSCONFIG_MAX_STRING = 255;
    /** mount(2) copies at most one page of options. */
    private static final int MOUNT_DATA_MAX = 4095;

    private KernelOverlayMount() {
    }

    /**
     * Mounts an overlay of {@code lower} (read-only) and {@code upper} (writable, with {@code work} as
     * scratch on the same filesystem) at {@code mountpoint}.
     *
     * @param source shown as the mount's source in /proc/self/mountinfo (e.g. {@code docker-on-top_NAME})
     * @throws MountException with the errno of the failing call and the kernel's log: EPERM (not
     *                        allowed here, e.g. in a user namespace), ENODEV (no overlayfs in this
     *                        kernel), EINVAL (layers refused, e.g. the upper is itself on an overlayfs,
     *                        or work and upper are on different filesystems), ENOENT (a layer or the
     *                        mountpoint is missing), EBUSY, ...
     */
    public static void mount(Path lower, Path upper, Path work, Path mountpoint, String source) throws MountException {
        mount(lower, upper, work, mountpoint, source, false);
    }

    /**
     * Mounts as {@link #mount(Path, Path, Path, Path, String)}; with {@code volatileMount}, with the overlay's
     * {@code volatile} option (Linux 5.10+): nothing is synced to the upper, and the kernel marks {@code work}
     * so that it refuses every later mount of it until the mark is removed (see
     * {@link org.dockerontop.overlay.format.IncompatFeatures}). A kernel without the option mounts without it
     * (logged): syncing is the safe side of that difference.
     *
     * @throws MountException as the other form; EINVAL also if {@code work} carries such a mark
     */
    public static void mount(Path lower, Path upper, Path work, Path mountpoint, String source, boolean volatileMount)
            throws MountException {
        mount(lower, upper, work, mountpoint, source, volatileMount, () -> true);
    }

    /**
     * Mounts as {@link #mount(Path, Path, Path, Path, String, boolean)}, asking {@code attach} once the overlay is
     * made and before it is attached at {@code mountpoint}. Making it reads the layers, so it waits on a lower that
     * lies on a hung network or FUSE file system; a caller that gave up waiting answers false, and the overlay is
     * then discarded, never attached: a mount that returns late leaves nothing mounted. On kernels without fsopen the
     * mount is made and attached by one mount(2): there it is detached again at once if {@code attach} answers false.
     *
     * @throws MountException as the other forms; ECANCELED if {@code attach} answered false
     */
    public static void mount(Path lower, Path upper, Path work, Path mountpoint, String source, boolean volatileMount,
                             BooleanSupplier attach) throws MountException {
        long fsfd = libc().syscall(SYS_FSOPEN, cString("overlay"), FSOPEN_CLOEXEC);
        if (fsfd < 0) {
            int e = errno();
            if (e == ENOSYS) {
                LOG.debug("fsopen is not available (ENOSYS); mounting {} with mount(2)", mountpoint);
                // kernels without fsopen (before 5.2) have no volatile option either: it is left out
                legacyMount(lower, upper, work, mountpoint, source);
                if (!attach.getAsBoolean()) {
                    detach(mountpoint);
                    throw new MountException(ECANCELED, "the mount at " + mountpoint + " returned after its caller "
                            + "gave up; detached it");
                }
                return;
            }
            throw new MountException(e, "cannot mount an overlay at " + mountpoint
                    + ": fsopen(\"overlay\") failed" + (e == ENODEV ? "; this kernel has no overlayfs" : ""));
        }
        int fd = (int) fsfd;
        String what = "cannot mount an overlay at " + mountpoint + " (lowerdir=" + lower + ", upperdir=" + upper
                + ", workdir=" + work + ")";
        try {
            setString(fd, "source", fitSource(source), what);
            setLowerdir(fd, lower, what);
            setPath(fd, "upperdir", upper, what);
            setPath(fd, "workdir", work, what);
            if (volatileMount) {
                setVolatile(fd, mountpoint, what);
            }
            if (libc().syscall(SYS_FSCONFIG, fd, FSCONFIG_CMD_CREATE, null, null, 0) != 0) {
                throw failure(fd, what + ": the kernel refused the layers");
            }
            // A successful create may still log warnings about features the upper cannot support.
            for (String line : readFsContextLog(fd)) {
                LOG.warn("{}: kernel says: {}", mountpoint, line);
            }
            if (!attach.getAsBoolean()) {
                throw new MountException(ECANCELED, what + ": made after its caller gave up; discarded, not attached");
            }
            long mfd = libc().syscall(SYS_FSMOUNT, fd, FSMOUNT_CLOEXEC, 0);
            if (mfd < 0) {
                throw failure(fd, what + ": fsmount failed");
            }
            try {
                long r = libc().syscall(SYS_MOVE_MOUNT, mfd, cString(""), AT_FDCWD, cString(mountpoint),
                        MOVE_MOUNT_F_EMPTY_PATH);
                if (r != 0) {
                    throw failure(fd, what + ": cannot attach the mount at the mountpoint");
                }
            } finally {
                Syscalls.close((int) mfd);
            }
        } finally {
            Syscalls.close(fd);
        }
    }

    /**
     * Unmounts {@code mountpoint} (umount2 without flags; symlinks are not followed).
     *
     * @throws MountException EBUSY if a process still uses the mount, EINVAL if nothing is mounted there,
     *                        ENOENT if the path does not exist
     */
    public static void unmount(Path mountpoint) throws MountException {
        if (libc().syscall(SYS_UMOUNT2, cString(mountpoint), UMOUNT_NOFOLLOW) != 0) {
            int e = errno();
            throw new MountException(e, "cannot unmount " + mountpoint
                    + (e == EBUSY ? ": it is still in use by a process" : ""));
        }
    }

    /**
     * Detaches {@code mountpoint} lazily (umount2 MNT_DETACH): it disappears from the mount table at once and
     * is released when its last user goes away. Meant for dead mounts (a FUSE mount whose process died answers
     * ENOTCONN and cannot be unmounted normally if busy) and for a mount that no container ever received.
     *
     * @throws MountException EINVAL if nothing is mounted there, ENOENT if the path does not exist
     */
    public static void detach(Path mountpoint) throws MountException {
        if (libc().syscall(SYS_UMOUNT2, cString(mountpoint), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
            throw new MountException(errno(), "cannot detach the mount at " + mountpoint);
        }
    }

    private static void setLowerdir(int fd, Path lower, String what) throws MountException {
        try {
            setPath(fd, "lowerdir+", lower, what);
        } catch (MountException e) {
            // Kernels 5.2-6.7 have fsopen but not "lowerdir+": use "lowerdir" with ':' and ',' escaped.
            if (e.errno() != EINVAL || !e.getMessage().contains("nknown parameter")) {
                throw e;
            }
            LOG.debug("kernel has no lowerdir+ parameter; using escaped lowerdir");
            setString(fd, "lowerdir", escapeLegacy(lower.toString()), what);
        }
    }

    private static void setVolatile(int fd, Path mountpoint, String what) throws MountException {
        if (libc().syscall(SYS_FSCONFIG, fd, FSCONFIG_SET_FLAG, cString("volatile"), null, 0) != 0) {
            MountException e = failure(fd, what + ": the kernel refused the volatile option");
            if (e.errno() != EINVAL || !e.getMessage().contains("nknown parameter")) {
                throw e;
            }
            LOG.info("{}: this kernel has no volatile overlay option (5.10+); mounting without it", mountpoint);
        }
    }

    /** Sets a layer path: as a string when it fits fsconfig's limit, else as an O_PATH fd. */
    private static void setPath(int fd, String key, Path path, String what) throws MountException {
        // overlayfs removes backslash escapes from upperdir and workdir values, but not from lowerdir+
        String value = key.equals("lowerdir+") ? path.toString() : path.toString().replace("\\", "\\\\");
        if (byteLength(value) <= FSCONFIG_MAX_STRING) {
            setString(fd, key, value, what);
            return;
        }
        int pathFd = openPath(path);
        try {
            if (libc().syscall(SYS_FSCONFIG, fd, FSCONFIG_SET_FD, cString(key), null, pathFd) != 0) {
                throw failure(fd, what + ": the kernel refused " + key + " given as a file descriptor "
                        + "(the path is longer than 255 bytes; kernels before 6.13 cannot take it)");
            }
        } finally {
            Syscalls.close(pathFd);
        }
    }

    private static void setString(int fd, String key, String value, String what) throws MountException {
        if (libc().syscall(SYS_FSCONFIG, fd, FSCONFIG_SET_STRING, cString(key), cString(value), 0) != 0) {
            throw failure(fd, what + ": the kernel refused " + key + "=" + value);
        }
    }

    /** Builds the exception for the call that just failed, with the kernel's log appended. */
    private static MountException failure(int fsfd, String message) {
        int e = errno(); // before any other call can overwrite it
        List<String> log = readFsContextLog(fsfd);
        StringBuilder m = new StringBuilder(message);
        if (!log.isEmpty()) {
            m.append("; kernel says: ");
            for (int i = 0; i < log.size(); i++) {
                String line = log.get(i);
                // "e overlayfs: ..." -> "overlayfs: ..."
                m.append(i > 0 ? "; " : "").append(line.length() > 2 && line.charAt(1) == ' ' ? line.substring(2) : line);
            }
        }
        return new MountException(e, m.toString());
    }

    static void legacyMount(Path lower, Path upper, Path work, Path mountpoint, String source)
            throws MountException {
        String data = "lowerdir=" + escapeLegacy(lower.toString()) + ",upperdir=" + escapeLegacy(upper.toString())
                + ",workdir=" + escapeLegacy(work.toString());
        if (byteLength(data) > MOUNT_DATA_MAX) {
            throw new MountException(ENAMETOOLONG, "cannot mount an overlay at " + mountpoint
                    + ": the layer paths are too long for mount(2) on this kernel (it has no fsopen)");
        }
        long r = libc().syscall(SYS_MOUNT, cString(source), cString(mountpoint), cString("overlay"), 0,
                cString(data));
        if (r != 0) {
            throw new MountException(errno(), "cannot mount an overlay at " + mountpoint + " with mount(2) ("
                    + data + "); the kernel log (dmesg) says why");
        }
    }

    /** The source is only a label in the mount table; cut it to fsconfig's limit rather than fail the mount. */
    static String fitSource(String source) {
        String s = source;
        while (byteLength(s) > FSCONFIG_MAX_STRING) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    /** mount(2)'s option string separates options with ',' and lower layers with ':'; '\' escapes both. */
    static String escapeLegacy(String path) {
        StringBuilder b = new StringBuilder(path.length() + 8);
        for (char c : path.toCharArray()) {
            if (c == '\\' || c == ',' || c == ':') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
