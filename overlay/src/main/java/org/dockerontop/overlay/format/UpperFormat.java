package org.dockerontop.overlay.format;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * Reads and writes the kernel overlayfs upper-directory format: whiteouts and opaque directories.
 *
 * <p>A whiteout is a character device 0/0 (the kernel's form). Where the upper filesystem refuses
 * to create one (EPERM on an overlayfs upper, the nested case), it is an empty regular file carrying
 * {@code trusted.overlay.whiteout}, and its directory and the layer root carry
 * {@code trusted.overlay.opaque=x}, the mark kernels since 6.8 need to leave xattr whiteouts out of
 * a listing when this layer is a lower layer of theirs (a lookup hides them unmarked).
 * Both forms are recognised when reading. A directory is opaque when it carries
 * {@code trusted.overlay.opaque=y}; the value {@code x} ("holds xattr whiteouts") is not opaque.
 */
public final class UpperFormat {
    private static final LibC C = Native.LIBC;
    private static final byte[] Y = {'y'};
    private static final byte[] X = {'x'};

    private UpperFormat() {
    }

    /** Is the entry whose lstat is {@code st} at {@code path} a whiteout (either form)? */
    public static boolean isWhiteout(String path, Pointer st) {
        int type = Stat.type(st);
        if (type == Stat.S_IFCHR) {
            return Stat.rdev(st) == 0;
        }
        if (type == Stat.S_IFREG && Stat.size(st) == 0) {
            return hasXattr(path, OverlayXattrs.WHITEOUT);
        }
        return false;
    }

    /** Is the character device (from a directory listing) at {@code path} a 0/0 whiteout? */
    public static boolean isDeviceWhiteout(Pointer st) {
        return Stat.type(st) == Stat.S_IFCHR && Stat.rdev(st) == 0;
    }

    /** Is the directory at {@code path} opaque ({@code trusted.overlay.opaque=y})? */
    public static boolean isOpaque(String path) {
        byte[] v = new byte[4];
        long n = C.lgetxattr(path, OverlayXattrs.OPAQUE, v, v.length);
        return n == 1 && v[0] == 'y';
    }

    /**
     * Marks the directory at {@code dirPath} opaque ({@code trusted.overlay.opaque=y}): nothing below it in lower
     * layers shows through.
     *
     * @throws ErrnoException from lsetxattr, e.g. EPERM without CAP_SYS_ADMIN or EOPNOTSUPP on a filesystem
     *                        without trusted xattrs
     */
    public static void setOpaque(String dirPath) {
        Native.check(C.lsetxattr(dirPath, OverlayXattrs.OPAQUE, Y, 1, 0), "setxattr opaque", dirPath);
    }

    /**
     * Whether the entry at {@code path} (not followed if a symbolic link) has xattr {@code name}. Never throws: any
     * error (the entry gone, xattrs unsupported) reads as "no".
     */
    public static boolean hasXattr(String path, String name) {
        return C.lgetxattr(path, name, (Pointer) null, 0) >= 0;
    }

    /** Which whiteout form an upper filesystem accepts. */
    public enum WhiteoutForm { DEVICE, XATTR }

    /**
     * Creates a whiteout at {@code path} (which must not exist) in the given form.
     *
     * @throws ErrnoException EPERM/EINVAL/EOPNOTSUPP from mknod when the device form is refused,
     *                        or any error creating the file or setting the xattr
     */
    public static void createWhiteout(String path, WhiteoutForm form) {
        if (form == WhiteoutForm.DEVICE) {
            Native.check(C.mknod(path, Stat.S_IFCHR, 0), "mknod whiteout", path);
            return;
        }
        int fd = Native.check(C.open(path, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC, 0),
                "create whiteout", path);
        try {
            Native.check(C.fsetxattr(fd, OverlayXattrs.WHITEOUT, Y, 1, 0), "setxattr whiteout", path);
        } catch (ErrnoException e) {
            C.close(fd);
            C.unlink(path);
            throw e;
        }
        C.close(fd);
    }

    /**
     * Marks a directory as holding xattr whiteouts ({@code trusted.overlay.opaque=x}), so that a
     * kernel overlay (6.8 and later) using this layer as a lower layer leaves them out of its
     * listings, as it does with the marked layer root's own. A directory that carries an opaque
     * value already keeps it: {@code y} must stay opaque (and holds no whiteouts worth marking, as
     * nothing lies beneath it). Best effort: failure only matters to that later use.
     */
    public static void markXattrWhiteouts(String dirPath) {
        C.lsetxattr(dirPath, OverlayXattrs.OPAQUE, X, 1, Native.XATTR_CREATE);
    }

    /**
     * Finds out which whiteout form the filesystem holding {@code scratchDir} accepts, by creating
     * and removing a probe entry there.
     *
     * @throws ErrnoException if neither form can be created
     */
    public static WhiteoutForm probeWhiteoutForm(String scratchDir) {
        String probe = scratchDir + "/.whiteout-probe-" + C.getpid();
        C.unlink(probe);
        try {
            createWhiteout(probe, WhiteoutForm.DEVICE);
            C.unlink(probe);
            return WhiteoutForm.DEVICE;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EPERM && e.errno() != Errno.EINVAL && e.errno() != Errno.EOPNOTSUPP
                    && e.errno() != Errno.EACCES) {
                throw e;
            }
        }
        createWhiteout(probe, WhiteoutForm.XATTR);
        C.unlink(probe);
        return WhiteoutForm.XATTR;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
