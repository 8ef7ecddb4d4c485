package org.dockerontop.fuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * Files made with O_TMPFILE: regular files in the upper layer that have no name, as the kernel
 * overlay makes them (an O_TMPFILE open of the upper directory), alive while a handle on them is.
 *
 * <p>libfuse 2's path API can only create a file by name, so {@link TmpfileRequest} hands it a
 * CREATE of a reserved name instead of the kernel's TMPFILE request. A reserved name is {@code "/"}
 * and a number: no directory entry can have it (the kernel never sends a name with a slash), so
 * nobody can look it up, list it or make it, and libfuse's node for it is reachable by node id
 * only. Its paths ({@code "/dir//7"}, {@code "//7"} in the root) are recognised by the double
 * slash and are never resolved against the layers: the operations the kernel sends on that node
 * (attributes, xattrs, re-open through /proc/self/fd, link) go through a descriptor of the file,
 * everything else finds nothing (ENOENT).
 *
 * <p>Each file keeps one descriptor of its own (O_RDWR, so that a truncate without a handle works)
 * for as long as any handle of it is open; the last release closes it, and the upper filesystem
 * frees the file unless it was linked to a name. Nothing of it is ever written into the upper or
 * work directory, so a crash leaves nothing behind either.
 *
 * <p>A request on the node that races the release of its last handle (only possible through a
 * /proc/self/fd path whose descriptor is being closed at the same time) gets ENOENT.
 */
final class UnnamedFiles {
    private static final LibC C = Native.LIBC;
    private static final String MARK = "//";
    private static final AtomicLong IDS = new AtomicLong();

    /** An unnamed file: its own descriptor and how many handles of it are open. */
    static final class File {
        private final int fd;
        private int handles;
        private boolean closed;
        /** It was given a name: writes through its handles must reach the name's node too. */
        volatile boolean linked;
        /** Its inode number once it was given a name (the key of OverlayFs's hard-link tracking), else 0. */
        volatile long ino;

        private File(int fd) {
            this.fd = fd;
        }
    }

    /** Open unnamed files by reserved path suffix (the number after the double slash). */
    private final ConcurrentHashMap<String, File> files = new ConcurrentHashMap<>();
    /** The file each handle belongs to, so that its release can be counted. */
    private final ConcurrentHashMap<Handle, File> byHandle = new ConcurrentHashMap<>();
    /** No reserved path can reach us before the first unnamed file is made. */
    private volatile boolean used;

    /** A fresh reserved name, as the bytes of a FUSE request (NUL-terminated). */
    static byte[] newName() {
        String name = "/" + Long.toHexString(IDS.incrementAndGet());
        byte[] b = new byte[name.length() + 1];
        for (int i = 0; i < name.length(); i++) {
            b[i] = (byte) name.charAt(i);
        }
        return b;
    }

    /** Is {@code name} a reserved name (as {@link #newName} makes them, no directory entry's)? */
    static boolean isReservedName(String name) {
        return name.startsWith("/");
    }

    /** Is {@code p} the path of a reserved name (one libfuse built from a name with a slash)? */
    static boolean isReserved(String p) {
        return p.contains(MARK);
    }

    /** Is {@code p} a reserved path? Free until the first unnamed file is made. */
    boolean owns(String p) {
        return used && p.contains(MARK);
    }

    /** The directory the unnamed file at reserved path {@code p} is made in. */
    static String directoryOf(String p) {
        int i = p.lastIndexOf(MARK);
        return i == 0 ? "/" : p.substring(0, i);
    }

    private static String key(String p) {
        return p.substring(p.lastIndexOf(MARK) + MARK.length());
    }

    /**
     * Makes an unnamed regular file in the upper directory {@code upperDir} and opens it with the
     * access and status flags of {@code flags}. {@code uid}/{@code gid} become its owner when
     * {@code chown} (the group stays the set-group-ID directory's if it is one, as for a create).
     * Fails with the errno of the O_TMPFILE open (EOPNOTSUPP where the upper filesystem has no
     * O_TMPFILE, EISDIR...) or of the chown.
     */
    Handle create(String p, String upperDir, int mode, int flags, boolean chown, int uid, int gid) {
        used = true;
        int fd = Native.check(C.open(upperDir, Native.O_TMPFILE | Native.O_RDWR | Native.O_CLOEXEC, mode & 07777),
                "open O_TMPFILE", upperDir);
        File f = new File(fd);
        try {
            if (chown) {
                Pointer st = Native.allocate(Stat.SIZE);
                boolean setgid = C.fstatat(Native.AT_FDCWD, upperDir, st, 0) == 0 && (Stat.mode(st) & Stat.S_ISGID) != 0;
                Native.check(C.fchown(fd, uid, setgid ? -1 : gid), "fchown", p);
            }
            Handle h = reopen(f, flags & ~Native.O_TMPFILE, p);
            f.handles = 1;
            byHandle.put(h, f);
            files.put(key(p), f);
            return h;
        } catch (RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /** Opens the unnamed file at {@code p} again (an open of its /proc/self/fd link). */
    Handle open(String p, int flags) {
        File f = file(p);
        synchronized (f) {
            if (f.closed) {
                throw ErrnoException.of(Errno.ENOENT, "open", p);
            }
            Handle h = reopen(f, flags, p);
            f.handles++;
            byHandle.put(h, f);
            return h;
        }
    }

    /** A handle of the file with its own open file description, as the caller asked for it. */
    private static Handle reopen(File f, int flags, String p) {
        // O_NOFOLLOW would refuse the /proc link itself; the kernel resolved the caller's path already
        int own = (flags & ~(Native.O_CREAT | Native.O_EXCL | Native.O_NOCTTY | Native.O_NOFOLLOW
                | 040000 /* O_DIRECT */)) | Native.O_CLOEXEC;
        int fd = Native.check(C.open(procPath(f), own, 0), "open", p);
        Handle h = new Handle(fd, true, null);
        if (f.linked) {
            Pointer st = Native.allocate(Stat.SIZE);
            if (C.fstat(fd, st) == 0) {
                h.ino = Stat.ino(st);
                h.linked = true;
            }
        }
        return h;
    }

    private static String procPath(File f) {
        return "/proc/self/fd/" + f.fd;
    }

    /** After handle {@code h} was released: the last one frees the file. */
    void closed(Handle h) {
        if (byHandle.isEmpty()) {
            return;
        }
        File f = byHandle.remove(h);
        if (f == null) {
            return;
        }
        synchronized (f) {
            if (--f.handles > 0) {
                return;
            }
            f.closed = true;
            files.values().remove(f);
            C.close(f.fd);
        }
    }

    /**
     * The inode number of the unnamed file at {@code p} if it was given a name (the kernel then
     * holds it under two nodes, whatever its link count), else 0.
     */
    long linkedIno(String p) {
        File f = files.get(key(p));
        return f == null ? 0 : f.ino;
    }

    private File file(String p) {
        File f = files.get(key(p));
        if (f == null) {
            throw ErrnoException.of(Errno.ENOENT, "lookup", p);
        }
        return f;
    }

    /** Runs {@code call} on the file's descriptor, which stays open meanwhile. */
    private long onFile(String p, String what, java.util.function.IntToLongFunction call) {
        File f = file(p);
        synchronized (f) {
            if (f.closed) {
                throw ErrnoException.of(Errno.ENOENT, what, p);
            }
            return Native.check(call.applyAsLong(f.fd), what, p);
        }
    }

    void stat(String p, Pointer st) {
        onFile(p, "fstat", fd -> C.fstat(fd, st));
    }

    void chmod(String p, int mode) {
        onFile(p, "fchmod", fd -> C.fchmod(fd, mode & 07777));
    }

    void chown(String p, int uid, int gid) {
        onFile(p, "fchown", fd -> C.fchown(fd, uid, gid));
    }

    void utimens(String p, Pointer times) {
        onFile(p, "futimens", fd -> C.futimens(fd, times));
    }

    void truncate(String p, long size) {
        onFile(p, "ftruncate", fd -> C.ftruncate(fd, size));
    }

    int getxattr(String p, String diskName, Pointer value, long size) {
        return (int) onFile(p, "fgetxattr", fd -> size == 0 ? C.fgetxattr(fd, diskName, (Pointer) null, 0)
                : C.fgetxattr(fd, diskName, value, size));
    }

    /** The raw (on-disk) xattr names, NUL-separated. */
    byte[] listxattr(String p) {
        for (int attempt = 0; attempt < 5; attempt++) {
            long size = onFile(p, "flistxattr", fd -> C.flistxattr(fd, null, 0));
            if (size == 0) {
                return new byte[0];
            }
            byte[] buf = new byte[(int) size];
            File f = file(p);
            synchronized (f) {
                long n = f.closed ? -1 : C.flistxattr(f.fd, buf, buf.length);
                if (n >= 0) {
                    return n == buf.length ? buf : java.util.Arrays.copyOf(buf, (int) n);
                }
                if (f.closed || Native.errno() != Errno.ERANGE) {
                    throw ErrnoException.of(f.closed ? Errno.ENOENT : Native.errno(), "flistxattr", p);
                }
            }
        }
        throw new ErrnoException(Errno.EIO, "xattr list keeps changing");
    }

    void setxattr(String p, String diskName, Pointer value, long size, int flags) {
        onFile(p, "fsetxattr", fd -> C.fsetxattr(fd, diskName, value, size, flags));
    }

    void removexattr(String p, String diskName) {
        onFile(p, "fremovexattr", fd -> C.fremovexattr(fd, diskName));
    }

    /**
     * Gives the unnamed file at {@code p} the name {@code target} (a real path in the upper
     * layer), as linkat(2) of its descriptor does. EEXIST if the target exists.
     */
    void link(String p, String target) {
        File f = file(p);
        synchronized (f) {
            if (f.closed) {
                throw ErrnoException.of(Errno.ENOENT, "link", p);
            }
            // the /proc link rather than AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH
            Native.check(C.linkat(Native.AT_FDCWD, procPath(f), Native.AT_FDCWD, target, Native.AT_SYMLINK_FOLLOW),
                    "linkat", target);
            Pointer st = Native.allocate(Stat.SIZE);
            if (C.fstat(f.fd, st) == 0) {
                f.ino = Stat.ino(st);
            }
            f.linked = true;
        }
    }
}
