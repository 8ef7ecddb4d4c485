package org.dockerontop.overlay.mount;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Linux system calls this package needs, bound through jnr-ffi: the new mount API
 * (fsopen/fsconfig/fsmount/move_mount) by number through {@code syscall(2)} because glibc 2.36 has no
 * wrappers for all of them, plus mount/umount2/statfs and a few libc functions.
 * Numbers are those of x86-64. Every call returns the raw result and leaves errno in {@link #errno()}.
 */
public final class Syscalls {
    // x86-64 system call numbers
    static final long SYS_STATFS = 137;
    static final long SYS_GETDENTS64 = 217;
    static final long SYS_MOUNT = 165;
    static final long SYS_UMOUNT2 = 166;
    static final long SYS_RENAMEAT2 = 316;
    static final long SYS_OPEN_TREE = 428;
    static final long SYS_MOVE_MOUNT = 429;
    static final long SYS_FSOPEN = 430;
    static final long SYS_FSCONFIG = 431;
    static final long SYS_FSMOUNT = 432;

    static final int FSOPEN_CLOEXEC = 0x1;
    static final int FSCONFIG_SET_FLAG = 0;
    static final int FSCONFIG_SET_STRING = 1;
    static final int FSCONFIG_SET_FD = 5;
    static final int FSCONFIG_CMD_CREATE = 6;
    static final int FSMOUNT_CLOEXEC = 0x1;
    static final int MOVE_MOUNT_F_EMPTY_PATH = 0x4;
    static final int AT_FDCWD = -100;

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_NOFOLLOW = 0400000;
    static final int O_DIRECTORY = 0200000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int O_NONBLOCK = 04000;

    public static final int MNT_DETACH = 2;
    static final int UMOUNT_NOFOLLOW = 8;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    static final int RENAME_NOREPLACE = 1;

    public static final int ENOENT = 2;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENAMETOOLONG = 36;
    public static final int EOPNOTSUPP = 95;
    public static final int ENOTCONN = 107;
    public static final int ECANCELED = 125;
    static final int EINTR = 4;
    /** Also EWOULDBLOCK: what flock(LOCK_NB) fails with while another open file holds the lock. */
    public static final int EAGAIN = 11;
    static final int ENOSYS = 38;
    static final int ENODATA = 61;

    /** The libc functions used; {@code syscall} overloads are fine because glibc's syscall() only shuffles registers. */
    public interface LibC {
        long syscall(long nr, byte[] a1, long a2);

        long syscall(long nr, byte[] a1, byte[] a2);

        long syscall(long nr, long a1, long a2, long a3);


        long syscall(long nr, long a1, long a2, byte[] a3, byte[] a4, long a5);

        long syscall(long nr, long a1, byte[] a2, long a3, byte[] a4, long a5);

        long syscall(long nr, byte[] a1, byte[] a2, byte[] a3, long a4, byte[] a5);

        int open(byte[] path, int flags, int mode);

        int close(int fd);

        long read(int fd, byte[] buf, long count);

        int flock(int fd, int operation);

        int kill(int pid, int signal);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    private static final Charset FILE_NAMES = fileNameCharset();

    private Syscalls() {
    }

    static LibC libc() {
        return LIBC;
    }

    /** The errno of the last call made through {@link #libc()} on this thread. */
    public static int errno() {
        return RUNTIME.getLastError();
    }

    /** A NUL-terminated C string in the encoding Java uses for file names. */
    static byte[] cString(String s) {
        byte[] b = s.getBytes(FILE_NAMES);
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, b.length);
        return c;
    }

    static byte[] cString(Path p) {
        return cString(p.toString());
    }

    /** Length in bytes of {@code s} as the kernel sees it (without the NUL). */
    static int byteLength(String s) {
        return s.getBytes(FILE_NAMES).length;
    }

    /**
     * @return 0 if {@code statfs(path)} succeeds, else its errno. Unlike stat, statfs is never answered from
     * the kernel's attribute cache: on a FUSE mount it always reaches the serving process, so it reliably
     * answers ENOTCONN once that process has died.
     */
    public static int statfsErrno(Path path) {
        byte[] buf = new byte[256]; // struct statfs is 120 bytes on x86-64
        long r = LIBC.syscall(SYS_STATFS, cString(path), buf);
        return r == 0 ? 0 : errno();
    }

    /**
     * @return 0 if the first entries of directory {@code dir} can be read, else the errno of open(2) or of
     * getdents64(2). Called directly, not through readdir(3): glibc (and with it Java's directory streams) takes
     * ENOENT from getdents64 for the end of the directory, which is what an overlay whose lower directory was deleted
     * answers, while Go programs (dockerd) see the error. It blocks as long as the file system does (a stopped FUSE
     * server, or an overlay with a layer on one): a caller that must answer in time runs it on another thread.
     */
    public static int listErrno(Path dir) {
        int fd = LIBC.open(cString(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) {
            return errno();
        }
        try {
            byte[] buf = new byte[4096];
            long r = LIBC.syscall(SYS_GETDENTS64, fd, buf, buf.length, null, 0);
            return r >= 0 ? 0 : errno();
        } finally {
            LIBC.close(fd);
        }
    }

    /**
     * Renames {@code from} to {@code to} atomically, failing with EEXIST if {@code to} exists
     * (renameat2 RENAME_NOREPLACE; plain rename(2) would silently replace an empty directory).
     *
     * @throws MountException with the errno of renameat2, e.g. EEXIST
     */
    public static void renameNoReplace(Path from, Path to) throws MountException {
        long r = LIBC.syscall(SYS_RENAMEAT2, AT_FDCWD, cString(from), AT_FDCWD, cString(to), RENAME_NOREPLACE);
        if (r != 0) {
            throw new MountException(errno(), "cannot rename " + from + " to " + to);
        }
    }

    /**
     * Opens a directory read-only (close-on-exec), e.g. to flock it.
     *
     * @throws MountException with the errno of open(2)
     */
    public static int openDirectory(Path dir) throws MountException {
        int fd = LIBC.open(cString(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new MountException(errno(), "cannot open directory " + dir);
        }
        return fd;
    }

    /**
     * Opens the regular file {@code file} read-write (close-on-exec, not following a symbolic link), creating it
     * with mode 0600 if missing, e.g. to flock it.
     *
     * @throws MountException with the errno of open(2), e.g. ELOOP for a symbolic link
     */
    public static int openLockFile(Path file) throws MountException {
        int fd = LIBC.open(cString(file), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            throw new MountException(errno(), "cannot open " + file);
        }
        return fd;
    }

    /** Opens {@code path} with O_PATH (no access check on the content), for fsconfig FSCONFIG_SET_FD. */
    static int openPath(Path path) throws MountException {
        int fd = LIBC.open(cString(path), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new MountException(errno(), "cannot open " + path);
        }
        return fd;
    }

    /**
     * flock(2) on {@code fd}, retrying on EINTR. Blocks for LOCK_EX until the lock is granted; with
     * LOCK_EX | LOCK_NB fails at once with EAGAIN instead.
     *
     * @throws MountException with the errno of flock(2)
     */
    public static void flock(int fd, int operation) throws MountException {
        while (LIBC.flock(fd, operation) != 0) {
            int e = errno();
            if (e != EINTR) {
                throw new MountException(e, "flock failed");
            }
        }
    }

    /**
     * Sends SIGCONT to {@code pid}: a stopped process handles a pending SIGTERM only once resumed.
     * Errors (the process is gone) are ignored.
     */
    public static void resume(long pid) {
        LIBC.kill((int) pid, jnr.constants.platform.Signal.SIGCONT.intValue());
    }

    /** Closes {@code fd}, ignoring errors (there is nothing a caller could do about them). */
    public static void close(int fd) {
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }

    /**
     * Drains the messages the kernel logged on an fs_context fd ("e overlayfs: ...", "w ...", "i ...").
     * Each read returns one message; ENODATA means the log is empty.
     */
    static List<String> readFsContextLog(int fsfd) {
        List<String> messages = new ArrayList<>();
        byte[] buf = new byte[4096];
        for (int i = 0; i < 64; i++) {
            long n = LIBC.read(fsfd, buf, buf.length);
            if (n <= 0) {
                break;
            }
            messages.add(new String(buf, 0, (int) n, FILE_NAMES).trim());
        }
        return messages;
    }

    private static Charset fileNameCharset() {
        String jnu = System.getProperty("sun.jnu.encoding");
        try {
            return jnu != null ? Charset.forName(jnu) : Charset.defaultCharset();
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }
}
