package org.dockerontop.overlay.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * The kernel overlay's {@code trusted.overlay.origin}: a file handle of the lower entry an upper
 * entry was copied up from (struct ovl_fb: version 0, magic 0xfb, len, flags, handle type, the lower
 * filesystem's uuid, then the handle bytes). The kernel keeps reporting the origin's inode number
 * for a copied-up non-directory, so writing the same bytes keeps st_ino stable across copy-up and
 * lets an upper written here mount with the kernel overlay the other way round.
 */
public final class OriginXattr {
    public static final String NAME = "trusted.overlay.origin";
    /** The parent of a copied-up entry is marked impure so readdir translates its d_ino. */
    public static final String IMPURE = "trusted.overlay.impure";

    private static final LibC C = Native.LIBC;
    private static final int MAX_HANDLE_SZ = 128;
    private static final int HEADER = 21;
    private static final long FS_IOC_GETFSUUID = 0x80111500L;
    /** OVL_FH_FLAG_CPU_ENDIAN: 0 on little-endian, OVL_FH_FLAG_BIG_ENDIAN (1) on big-endian. */
    private static final byte CPU_ENDIAN = (byte) (ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? 1 : 0);

    private OriginXattr() {
    }

    /**
     * The uuid the kernel puts in handles of files on the filesystem of {@code path} (its
     * superblock's s_uuid), or 16 zero bytes when the filesystem does not tell.
     */
    public static byte[] fsUuid(String path) {
        byte[] uuid = new byte[16];
        int fd = C.open(path, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            return uuid;
        }
        try {
            byte[] buf = new byte[17];
            if (C.ioctl(fd, FS_IOC_GETFSUUID, buf) == 0) {
                int len = Math.min(buf[0] & 0xff, 16);
                System.arraycopy(buf, 1, uuid, 0, len);
            }
        } finally {
            C.close(fd);
        }
        return uuid;
    }

    /**
     * The origin value for the lower entry at {@code lowerPath}, or null when its filesystem cannot
     * give file handles (the kernel then records no origin either).
     */
    public static byte[] encode(String lowerPath, byte[] uuid) {
        byte[] fh = new byte[8 + MAX_HANDLE_SZ];
        ByteBuffer.wrap(fh).order(ByteOrder.nativeOrder()).putInt(0, MAX_HANDLE_SZ);
        if (C.name_to_handle_at(Native.AT_FDCWD, lowerPath, fh, new int[1], 0) != 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(fh).order(ByteOrder.nativeOrder());
        int bytes = b.getInt(0);
        int type = b.getInt(4);
        if (bytes < 0 || bytes > MAX_HANDLE_SZ || HEADER + bytes > 255 || type < 0 || type > 255) {
            return null;
        }
        byte[] v = new byte[HEADER + bytes];
        v[0] = 0;
        v[1] = (byte) 0xfb;
        v[2] = (byte) v.length;
        v[3] = CPU_ENDIAN;
        v[4] = (byte) type;
        System.arraycopy(uuid, 0, v, 5, 16);
        System.arraycopy(fh, 8, v, HEADER, bytes);
        return v;
    }

    /**
     * The inode number of the origin recorded in {@code value}, resolved on the filesystem of
     * {@code mountFd}, or -1 if the value is malformed, the origin is gone, or the origin is a
     * non-directory with several links (the kernel then reports the upper inode).
     */
    public static long originIno(byte[] value, int length, int mountFd, Pointer st) {
        if (length < HEADER || value[0] != 0 || value[1] != (byte) 0xfb || (value[2] & 0xff) != length) {
            return -1;
        }
        int bytes = length - HEADER;
        byte[] fh = new byte[8 + bytes];
        ByteBuffer.wrap(fh).order(ByteOrder.nativeOrder()).putInt(0, bytes).putInt(4, value[4] & 0xff);
        System.arraycopy(value, HEADER, fh, 8, bytes);
        int fd = C.open_by_handle_at(mountFd, fh, Native.O_PATH | Native.O_CLOEXEC);
        if (fd < 0) {
            return -1;
        }
        try {
            // like the kernel: a lower file with other hard links may have been copied up to
            // several upper files (index off), which must not share its inode number
            return C.fstat(fd, st) == 0 && (Stat.isDir(st) || Stat.nlink(st) == 1) ? Stat.ino(st) : -1;
        } finally {
            C.close(fd);
        }
    }
}
