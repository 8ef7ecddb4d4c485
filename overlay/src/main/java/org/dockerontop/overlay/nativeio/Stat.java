package org.dockerontop.overlay.nativeio;

import jnr.ffi.Pointer;

/**
 * Accessors over a Linux x86-64 / aarch64-generic {@code struct stat} living in native memory,
 * which is also the layout FUSE's getattr buffer has. No copy: read and write the fields in place.
 */
public final class Stat {
    public static final int SIZE = 144;
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;
    public static final int S_ISGID = 02000;

    private static final int OFF_DEV = 0;
    private static final int OFF_INO = 8;
    private static final int OFF_NLINK = 16;
    private static final int OFF_MODE = 24;
    private static final int OFF_UID = 28;
    private static final int OFF_GID = 32;
    private static final int OFF_RDEV = 40;
    private static final int OFF_SIZE = 48;
    private static final int OFF_BLOCKS = 64;
    private static final int OFF_ATIME = 72;
    private static final int OFF_MTIME = 88;
    private static final int OFF_CTIME = 104;

    private Stat() {
    }

    public static long dev(Pointer p) { return p.getLong(OFF_DEV); }
    public static long ino(Pointer p) { return p.getLong(OFF_INO); }
    public static void setIno(Pointer p, long ino) { p.putLong(OFF_INO, ino); }
    public static long nlink(Pointer p) { return p.getLong(OFF_NLINK); }
    public static void setNlink(Pointer p, long n) { p.putLong(OFF_NLINK, n); }
    public static int mode(Pointer p) { return p.getInt(OFF_MODE); }
    public static int uid(Pointer p) { return p.getInt(OFF_UID); }
    public static int gid(Pointer p) { return p.getInt(OFF_GID); }
    public static long rdev(Pointer p) { return p.getLong(OFF_RDEV); }
    public static long size(Pointer p) { return p.getLong(OFF_SIZE); }
    /** st_blocks: 512-byte units allocated. */
    public static long blocks(Pointer p) { return p.getLong(OFF_BLOCKS); }
    public static long atimeSec(Pointer p) { return p.getLong(OFF_ATIME); }
    public static long atimeNsec(Pointer p) { return p.getLong(OFF_ATIME + 8); }
    public static long mtimeSec(Pointer p) { return p.getLong(OFF_MTIME); }
    public static long mtimeNsec(Pointer p) { return p.getLong(OFF_MTIME + 8); }
    public static long ctimeSec(Pointer p) { return p.getLong(OFF_CTIME); }
    public static long ctimeNsec(Pointer p) { return p.getLong(OFF_CTIME + 8); }

    public static int type(Pointer p) { return mode(p) & S_IFMT; }
    public static boolean isDir(Pointer p) { return type(p) == S_IFDIR; }
    public static boolean isReg(Pointer p) { return type(p) == S_IFREG; }
    public static boolean isLink(Pointer p) { return type(p) == S_IFLNK; }
    public static boolean isDir(int mode) { return (mode & S_IFMT) == S_IFDIR; }

    /**
     * Writes a {@code struct timespec[2]} {atime, mtime} taken from {@code st} into {@code times}
     * (32 bytes), the argument utimensat/futimens expect.
     */
    public static void copyTimes(Pointer st, Pointer times) {
        times.putLong(0, atimeSec(st));
        times.putLong(8, atimeNsec(st));
        times.putLong(16, mtimeSec(st));
        times.putLong(24, mtimeNsec(st));
    }
}
