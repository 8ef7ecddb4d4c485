package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.format.OriginXattr;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * Where copied-up entries came from, the kernel overlay's way, and the inode numbers that makes
 * them report: a copy-up records a file handle of its lower entry in the upper entry's origin
 * xattr ({@link OriginXattr}), and a copied-up non-directory then reports its origin's inode
 * number, as on the kernel overlay, so that a copy-up does not change what {@code stat} says.
 *
 * <p>Best effort, and nothing here throws: where the lower filesystem cannot make or resolve
 * handles, nothing is recorded and upper inode numbers are reported; a failed xattr or handle
 * call means "no origin". The per-thread buffers are the calling worker's
 * {@link OverlayFs.Scratch}, looked up only on a cache miss.
 */
final class Origins {
    private static final LibC C = Native.LIBC;
    private static final java.nio.charset.Charset BYTES = java.nio.charset.StandardCharsets.ISO_8859_1;
    private static final int NOFOLLOW = Native.AT_SYMLINK_NOFOLLOW;

    /** The lower root ({@link LowerLayer#path}), which handles are resolved under. */
    private final String lower;
    /** The lower filesystem's uuid, as the kernel writes it into origin handles. */
    private final byte[] lowerUuid;
    /** Can origin handles be made and resolved on the lower filesystem? */
    private final boolean enabled;
    /**
     * Origin inode numbers of upper non-directories, by upper inode: {ctime sec, ctime nsec,
     * origin ino or -1}. The ctime tells a reused inode number (a new file) from the old one.
     * A cache of the most recently seen files (about 110 bytes each): a miss costs one lgetxattr.
     */
    private final RecentMap<Long, long[]> originInos = new RecentMap<>(1 << 16);
    /**
     * Origin inode numbers by origin xattr value (held as a byte string). The lower layer does not
     * change while mounted, so a handle always resolves to the same inode: when the cache above
     * misses because a copied-up file's ctime changed (every rename and chmod changes it), the
     * answer costs one lgetxattr instead of resolving the handle again (open, open_by_handle_at,
     * fstat, two closes). Filled at copy-up, where both are known.
     */
    private final RecentMap<String, Long> originsByHandle = new RecentMap<>(1 << 16);
    private final ThreadLocal<OverlayFs.Scratch> scratch;

    Origins(String lower, ThreadLocal<OverlayFs.Scratch> scratch) {
        this.lower = lower;
        this.scratch = scratch;
        this.lowerUuid = OriginXattr.fsUuid(lower);
        this.enabled = OriginXattr.encode(lower, lowerUuid) != null;
    }

    /** Can origin handles be made and resolved on the lower filesystem? */
    boolean enabled() {
        return enabled;
    }

    /** The origin xattr value of lower path {@code lowerPath}, or null if it cannot be made. */
    byte[] encode(String lowerPath) {
        return OriginXattr.encode(lowerPath, lowerUuid);
    }

    /**
     * Like the kernel overlay, reports a copied-up non-directory (one with an origin) under its
     * origin's inode number. {@code st} is the upper entry's stat; reads the xattr through
     * {@code fd} if it is not -1, else through {@code path}.
     */
    void apply(String path, int fd, Pointer st) {
        if (!enabled || Stat.isDir(st)) {
            return;
        }
        long ino = Stat.ino(st);
        long cs = Stat.ctimeSec(st);
        long cn = Stat.ctimeNsec(st);
        long[] c = originInos.get(ino);
        // "no origin" is trusted without a ctime check: an inode never gains an origin, and the
        // one way a new inode with an origin appears here, a copy-up, drops its number from the
        // cache (set). An origin is checked against the ctime, so that a new file reusing a
        // copied-up file's inode number cannot inherit its origin. Without this, every
        // getattr after a write or setattr of a plain upper file cost an lgetxattr.
        if (c == null || (c[2] > 0 && (c[0] != cs || c[1] != cn))) {
            OverlayFs.Scratch s = scratch.get();
            byte[] v = s.originValue;
            long n = fd >= 0 ? C.fgetxattr(fd, OriginXattr.NAME, v, v.length)
                    : C.lgetxattr(path, OriginXattr.NAME, v, v.length);
            long origin = -1;
            if (n >= 0) {
                String handle = new String(v, 0, (int) n, BYTES);
                Long known = originsByHandle.get(handle);
                origin = known != null ? known : resolve(v, (int) n, s.originSt);
                if (known == null) {
                    remember(handle, origin);
                }
            }
            c = new long[] {cs, cn, origin};
            originInos.put(ino, c);
        }
        if (c[2] > 0) {
            Stat.setIno(st, c[2]);
        }
    }

    /**
     * Resolves an origin handle on the lower filesystem. The lower root is opened per call (a
     * cache miss).
     */
    private long resolve(byte[] v, int n, Pointer st) {
        // open_by_handle_at refuses O_PATH descriptors
        int fd = C.open(lower, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        try {
            return OriginXattr.originIno(v, n, fd, st);
        } finally {
            C.close(fd);
        }
    }

    /**
     * Records where a copy-up at {@code tmp} (not a regular file: see {@link CopyUp#copyFile}) came from,
     * the kernel's way; best effort. @return the origin value recorded, or null
     */
    byte[] set(String lowerPath, String tmp) {
        byte[] v = OriginXattr.encode(lowerPath, lowerUuid);
        if (v == null) {
            return null;
        }
        int set = C.lsetxattr(tmp, OriginXattr.NAME, v, v.length, 0);
        Pointer st = scratch.get().originSt;
        if (C.fstatat(Native.AT_FDCWD, tmp, st, NOFOLLOW) == 0) {
            originInos.remove(Stat.ino(st)); // a deleted file's "no origin" for a reused number
        }
        return set == 0 ? v : null;
    }

    /**
     * A copy-up just gave upper inode {@code ino} an origin: forgets the "no origin" that a deleted
     * file of the same (reused) number may have left in {@link #originInos}.
     */
    void recorded(long ino) {
        originInos.remove(ino);
    }

    /** Remembers what an origin value resolves to (see {@link #originsByHandle}). */
    void remember(String handle, long originIno) {
        originsByHandle.put(handle, originIno);
    }
}
