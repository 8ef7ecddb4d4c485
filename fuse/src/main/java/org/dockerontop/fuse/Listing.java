package org.dockerontop.fuse;

import java.util.Set;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.format.UpperFormat;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * One listing of directory {@code p} in progress, made by {@link OverlayFs}. It reads directory
 * entries straight into this thread's buffer, many per system call, copies them into a byte array
 * in one go and hands each entry on by the address of its name (and its place in that array, for a
 * sink that copies names, see {@link OverlayFs.EntrySink}): per entry no libc call, no object
 * and no call through jnr's memory accessors (it was readdir(3) through jnr and a Pointer per
 * entry).
 *
 * <p>That matters most on a fresh daemon, whose first listing runs before the JIT has compiled
 * anything of it: array reads cost the interpreter a bytecode each, a jnr accessor a chain of
 * calls. For the same reason each entry is handled by a method of its own ({@link #upperEntry},
 * {@link #lowerEntry}): a listing runs once, so the JIT would compile the body of its loop only
 * after 60,000 iterations, while a method called per entry is compiled after a few hundred calls.
 *
 * <p>Upper entries come first: whiteouts are left out (and, in a merged directory, hide the lower
 * entry of their name), a merged subdirectory and a copied-up entry with an origin report the inode
 * number the kernel overlay reports. Which upper whiteouts are left out is the kernel's (6.18)
 * choice: every 0/0 device; an xattr whiteout (an empty regular file carrying
 * {@code trusted.overlay.whiteout}) only in an impure merged directory, whose listing the kernel
 * makes by looking each entry up (and a lookup hides every xattr whiteout), or where this mount
 * writes its own whiteouts in that form. Elsewhere the kernel lists it, whatever marker its
 * directory carries (it honours the markers of lower layers only), while a lookup of the name
 * finds nothing, so a listing shows a name that cannot be opened, as the kernel's does. {@link #read} fails with {@link ErrnoException} carrying the
 * errno of open or getdents64 on the real directory; what the sink throws passes through.
 */
final class Listing {
    private static final LibC C = Native.LIBC;
    /** File names are held as byte strings: one char per byte (see LibC). */
    private static final java.nio.charset.Charset BYTES = java.nio.charset.StandardCharsets.ISO_8859_1;
    private static final int NOFOLLOW = Native.AT_SYMLINK_NOFOLLOW;
    static final int DT_DIR = 4;
    static final int DT_CHR = 2;
    private static final int DT_REG = 8;
    /** struct linux_dirent64: d_ino, d_off, d_reclen (u16), d_type (u8), d_name. */
    private static final int DIRENT_RECLEN = 16;
    private static final int DIRENT_TYPE = 18;
    private static final int DIRENT_NAME = 19;
    /** Bytes of directory entries read per getdents64 call (some 800 names of 20 bytes). */
    static final int DIRENTS_SIZE = 32 << 10;

    private final OverlayFs fs;
    final String p;
    /** Names already listed from the upper layer (whiteouts included), if the directory is merged. */
    final Set<String> seen;
    final OverlayFs.EntrySink sink;
    /** getdents64's buffer, and the same bytes in the heap. */
    final Pointer b;
    final long base;
    final byte[] a;
    final Pointer st;
    String u;
    boolean xattrWhiteouts;
    boolean impure;

    Listing(OverlayFs fs, String p, Set<String> seen, OverlayFs.EntrySink sink, OverlayFs.Scratch sc) {
        this.fs = fs;
        this.p = p;
        this.seen = seen;
        this.sink = sink;
        this.b = sc.dirents();
        this.base = b.address();
        this.a = sc.direntBytes;
        this.st = sc.st2;
    }

    /**
     * Before the upper layer is read: its real directory, whether every empty regular file there
     * must be asked whether it is an xattr whiteout (this mount writes whiteouts in that form),
     * and whether it is impure (may hold entries with origins; in a merged directory, also hides
     * xattr whiteouts, see the class comment).
     */
    void upper(String upperDir, boolean xattrWhiteoutsHere, boolean impureHere) {
        u = upperDir;
        xattrWhiteouts = xattrWhiteoutsHere;
        impure = impureHere;
    }

    /** Lists real directory {@code dir} of the upper or lower layer; false once the sink wants no more. */
    boolean read(String dir, boolean upperLayer) {
        int fd = openDirectory(dir, !upperLayer);
        try {
            for (int n = getdents(fd, b, dir); n > 0; n = getdents(fd, b, dir)) {
                b.get(0, a, 0, n);
                for (int off = 0; off < n; off += (a[off + DIRENT_RECLEN] & 0xff) | (a[off + DIRENT_RECLEN + 1] & 0xff) << 8) {
                    if (!(upperLayer ? upperEntry(off) : lowerEntry(off))) {
                        return false;
                    }
                }
            }
            return true;
        } finally {
            C.close(fd);
        }
    }

    private boolean isDotOrDotDot(int name) {
        return a[name] == '.' && (a[name + 1] == 0 || (a[name + 1] == '.' && a[name + 2] == 0));
    }

    private long ino(int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (a[off + i] & 0xff);
        }
        return v;
    }

    /** The name at {@code name}, as a byte string. */
    private String name(int name) {
        int end = name;
        while (a[end] != 0) {
            end++;
        }
        return new String(a, name, end - name, BYTES);
    }

    /** The upper entry at {@code off}; false once the sink wants no more. */
    boolean upperEntry(int off) {
        int name = off + DIRENT_NAME;
        if (isDotOrDotDot(name)) {
            return true;
        }
        int type = a[off + DIRENT_TYPE] & 0xff;
        long ino = ino(off);
        String s = null;
        if (type == DT_CHR || (type == DT_REG && xattrWhiteouts)) {
            s = name(name);
            String path = u + "/" + s;
            if (C.fstatat(Native.AT_FDCWD, path, st, NOFOLLOW) == 0 && UpperFormat.isWhiteout(path, st)) {
                if (seen != null) {
                    seen.add(s);
                }
                return true;
            }
        }
        if (seen != null) {
            if (s == null) {
                s = name(name);
            }
            seen.add(s);
            if (type == DT_DIR) {
                String l = fs.lo(p) + "/" + s;
                if (C.fstatat(Native.AT_FDCWD, l, st, NOFOLLOW) == 0 && Stat.isDir(st)
                        && !UpperFormat.isOpaque(u + "/" + s)) {
                    ino = Stat.ino(st);
                }
            }
        }
        if (impure && type != DT_DIR) {
            if (s == null) {
                s = name(name);
            }
            String path = u + "/" + s;
            if (C.fstatat(Native.AT_FDCWD, path, st, NOFOLLOW) == 0) {
                if (seen != null && type == DT_REG && UpperFormat.isWhiteout(path, st)) {
                    return true;
                }
                fs.applyOrigin(path, -1, st);
                ino = Stat.ino(st);
            }
        }
        return sink.accept(a, name, base + name, type, ino);
    }

    /** The lower entry at {@code off}; false once the sink wants no more. */
    boolean lowerEntry(int off) {
        int name = off + DIRENT_NAME;
        if (isDotOrDotDot(name) || (seen != null && seen.contains(name(name)))) {
            return true;
        }
        int type = a[off + DIRENT_TYPE] & 0xff;
        if (type == DT_CHR && seen != null) {
            // a merged directory's listing leaves out the lower layer's own 0/0 devices, as the
            // kernel's merged listing does (it lists its xattr whiteouts, and a lower-only
            // directory's listing shows both: the lower directory's own)
            String path = fs.lo(p) + "/" + name(name);
            if (C.fstatat(Native.AT_FDCWD, path, st, NOFOLLOW) == 0 && UpperFormat.isDeviceWhiteout(st)) {
                return true;
            }
        }
        return sink.accept(a, name, base + name, type, ino(off));
    }

    /** Opens real directory {@code path} to list it; one of the lower layer as {@link LowerLayer#open} does. */
    private static int openDirectory(String path, boolean lowerLayer) {
        int flags = Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC;
        int fd = lowerLayer ? LowerLayer.open(path, flags) : C.open(path, flags, 0);
        if (fd < 0) {
            throw ErrnoException.of(Native.errno(), "opendir", path);
        }
        return fd;
    }

    /** The next entries of directory {@code fd} into {@code b}: bytes read, 0 at the end. */
    private static int getdents(int fd, Pointer b, String path) {
        return (int) Native.check(C.getdents64(fd, b, DIRENTS_SIZE), "getdents64", path);
    }
}
