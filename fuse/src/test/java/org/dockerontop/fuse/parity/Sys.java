package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jnr.constants.platform.Errno;
import jnr.ffi.Pointer;

/** Thin, exception-based helpers over {@link LibC} for harness code (scenarios record errnos instead). */
public final class Sys {
    private static final LibC C = LibC.INSTANCE;

    private Sys() {}

    /** A failed libc call; {@link #errno} is the symbolic name, e.g. {@code EXDEV}. */
    public static final class ErrnoException extends IOException {
        public final String errno;

        ErrnoException(String call, String path, int code) {
            super(call + "(" + path + "): " + name(code));
            this.errno = name(code);
        }
    }

    public static String name(int code) {
        Errno e = Errno.valueOf(code);
        return e == null || e.name().startsWith("__") ? "E#" + code : e.name();
    }

    static void check(long rc, String call, String path) throws ErrnoException {
        if (rc < 0) throw new ErrnoException(call, path, LibC.errno());
    }

    /** struct stat on x86-64. */
    public record Stat(long dev, long ino, long nlink, int mode, int uid, int gid, long rdev, long size,
                       long blocks, long atimeNs, long mtimeNs, long ctimeNs) {
        public int type() { return mode & LibC.S_IFMT; }
        public int perm() { return mode & 07777; }
        public boolean isDir() { return type() == LibC.S_IFDIR; }
        public boolean isReg() { return type() == LibC.S_IFREG; }
        public boolean isLink() { return type() == LibC.S_IFLNK; }
        public int rdevMajor() { return (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfff)); }
        public int rdevMinor() { return (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xff)); }

        static Stat parse(byte[] b) {
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            return new Stat(bb.getLong(0), bb.getLong(8), bb.getLong(16), bb.getInt(24), bb.getInt(28),
                    bb.getInt(32), bb.getLong(40), bb.getLong(48), bb.getLong(64),
                    bb.getLong(72) * 1_000_000_000L + bb.getLong(80),
                    bb.getLong(88) * 1_000_000_000L + bb.getLong(96),
                    bb.getLong(104) * 1_000_000_000L + bb.getLong(112));
        }
    }

    public static Stat lstat(String path) throws ErrnoException {
        byte[] b = new byte[144];
        check(C.lstat(path, b), "lstat", path);
        return Stat.parse(b);
    }

    public static Stat stat(String path) throws ErrnoException {
        byte[] b = new byte[144];
        check(C.stat(path, b), "stat", path);
        return Stat.parse(b);
    }

    public static Stat fstat(int fd) throws ErrnoException {
        byte[] b = new byte[144];
        check(C.fstat(fd, b), "fstat", "fd" + fd);
        return Stat.parse(b);
    }

    /** struct statfs on x86-64: type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags. */
    public record StatFs(long type, long bsize, long blocks, long bfree, long bavail, long files, long ffree,
                         long namelen, long frsize) {}

    public static StatFs statfs(String path) throws ErrnoException {
        byte[] b = new byte[120];
        check(C.statfs(path, b), "statfs", path);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return new StatFs(bb.getLong(0), bb.getLong(8), bb.getLong(16), bb.getLong(24), bb.getLong(32),
                bb.getLong(40), bb.getLong(48), bb.getLong(64), bb.getLong(72));
    }

    /** One directory entry as readdir(3) returns it. */
    public record Dirent(String name, long ino, int type) {}

    /** All entries of a directory, including "." and "..", in the order the filesystem returned them. */
    public static List<Dirent> readdir(String path) throws ErrnoException {
        Pointer dir = C.opendir(path);
        if (dir == null) throw new ErrnoException("opendir", path, LibC.errno());
        try {
            List<Dirent> out = new ArrayList<>();
            for (Pointer e = C.readdir(dir); e != null; e = C.readdir(dir)) {
                // struct dirent: d_ino(0,8) d_off(8,8) d_reclen(16,2) d_type(18,1) d_name(19..)
                out.add(new Dirent(e.getString(19, 256, StandardCharsets.UTF_8), e.getLong(0), e.getByte(18) & 0xff));
            }
            return out;
        } finally {
            C.closedir(dir);
        }
    }

    public static String readlink(String path) throws ErrnoException {
        byte[] b = new byte[4096];
        long n = C.readlink(path, b, b.length);
        check(n, "readlink", path);
        return new String(b, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** All xattrs of a path (not following symlinks), name to value. Buffers are sized by a query first:
     *  jnr-ffi copies whole arrays in and out of native memory on every call. */
    public static Map<String, byte[]> xattrs(String path) throws ErrnoException {
        Map<String, byte[]> out = new TreeMap<>();
        long size = C.llistxattr(path, null, 0);
        check(size, "llistxattr", path);
        if (size == 0) return out;
        byte[] list = new byte[(int) size + 256];
        long n = C.llistxattr(path, list, list.length);
        check(n, "llistxattr", path);
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (list[i] == 0) {
                String name = new String(list, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                long vlen = C.lgetxattr(path, name, null, 0);
                byte[] v = new byte[(int) Math.max(vlen, 0) + 256];
                long len = vlen < 0 ? vlen : C.lgetxattr(path, name, v, v.length);
                if (len < 0) {
                    out.put(name, ("<" + name(LibC.errno()) + ">").getBytes(StandardCharsets.UTF_8));
                } else {
                    out.put(name, java.util.Arrays.copyOf(v, (int) len));
                }
            }
        }
        return out;
    }

    public static void setxattr(String path, String name, byte[] value) throws ErrnoException {
        check(C.lsetxattr(path, name, value, value.length, 0), "lsetxattr", path);
    }

    public static void mkdir(String path, int mode) throws ErrnoException {
        check(C.mkdir(path, mode), "mkdir", path);
    }

    public static void chmod(String path, int mode) throws ErrnoException {
        check(C.chmod(path, mode), "chmod", path);
    }

    public static void lchown(String path, int uid, int gid) throws ErrnoException {
        check(C.lchown(path, uid, gid), "lchown", path);
    }

    public static void mknod(String path, int mode, long dev) throws ErrnoException {
        check(C.mknod(path, mode, dev), "mknod", path);
    }

    public static void symlink(String target, String path) throws ErrnoException {
        check(C.symlink(target, path), "symlink", path);
    }

    public static void link(String from, String to) throws ErrnoException {
        check(C.link(from, to), "link", to);
    }

    /** Sets atime and mtime of a path (not following symlinks) to the given nanoseconds since the epoch. */
    public static void setTimes(String path, long ns) throws ErrnoException {
        long[] ts = {ns / 1_000_000_000L, ns % 1_000_000_000L, ns / 1_000_000_000L, ns % 1_000_000_000L};
        check(C.utimensat(LibC.AT_FDCWD, path, ts, LibC.AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }

    /** Writes {@code data} at {@code offset} into a file, creating it with {@code mode} if missing. */
    public static void pwrite(String path, byte[] data, long offset, int mode) throws ErrnoException {
        int fd = C.open(path, LibC.O_WRONLY | LibC.O_CREAT, mode);
        check(fd, "open", path);
        try {
            long n = C.pwrite(fd, data, data.length, offset);
            check(n, "pwrite", path);
            if (n != data.length) throw new IllegalStateException("short write on " + path);
        } finally {
            C.close(fd);
        }
    }

    public static void truncate(String path, long len) throws ErrnoException {
        check(C.truncate(path, len), "truncate", path);
    }

    /** Character or block device number as makedev(3) encodes it. */
    public static long makedev(int major, int minor) {
        return ((long) (major & 0xfffff000) << 32) | ((major & 0xfff) << 8)
                | ((long) (minor & 0xffffff00) << 12) | (minor & 0xff);
    }
}
