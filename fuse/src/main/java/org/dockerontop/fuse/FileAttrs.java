package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;

/**
 * The flags {@code lsattr} shows and {@code chattr} sets (FS_IOC_GETFLAGS/SETFLAGS and
 * FS_IOC_FSGETXATTR/FSSETXATTR), as the kernel overlay answers them: the real entry's (the upper
 * one's once there is one), plus the immutable and append-only flags the kernel overlay keeps in
 * {@code trusted.overlay.protattr} of the upper entry instead of on it; a change copies the entry up
 * and is made on the upper entry.
 *
 * <p>Changing immutable or append-only fails with EOPNOTSUPP: the kernel overlay keeps them in
 * that xattr and enforces them itself (the upper entry stays removable), which a FUSE server would
 * have to do in every request that changes an entry; set on the upper entry itself, they would
 * keep the plugin from removing a volume. A protattr written by the kernel overlay is shown, not
 * enforced.
 */
final class FileAttrs {
    private static final LibC C = Native.LIBC;

    static final int FS_IOC_GETFLAGS = 0x80086601;
    static final int FS_IOC_SETFLAGS = 0x40086602;
    static final int FS_IOC_FSGETXATTR = 0x801c581f;
    static final int FS_IOC_FSSETXATTR = 0x401c5820;
    /** struct fsxattr: fsx_xflags first; the flags' size is an int whatever FS_IOC_GETFLAGS says. */
    static final int FSXATTR_SIZE = 28;
    static final int FLAGS_SIZE = 4;

    private static final int FS_IMMUTABLE_FL = 0x10;
    private static final int FS_APPEND_FL = 0x20;
    private static final int FS_XFLAG_IMMUTABLE = 0x8;
    private static final int FS_XFLAG_APPEND = 0x10;
    private static final String PROTATTR = "trusted.overlay.protattr";

    private final OverlayFs fs;

    FileAttrs(OverlayFs fs) {
        this.fs = fs;
    }

    /** Is {@code cmd} one of the four requests answered here? */
    static boolean handles(int cmd) {
        return cmd == FS_IOC_GETFLAGS || cmd == FS_IOC_SETFLAGS || cmd == FS_IOC_FSGETXATTR || cmd == FS_IOC_FSSETXATTR;
    }

    /** The size of the argument of {@code cmd} the kernel sends or expects. */
    static int size(int cmd) {
        return cmd == FS_IOC_GETFLAGS || cmd == FS_IOC_SETFLAGS ? FLAGS_SIZE : FSXATTR_SIZE;
    }

    /**
     * Answers {@code cmd} for entry {@code p}: a get fills {@code arg}, a set reads it.
     *
     * @throws ErrnoException ENOENT if {@code p} is gone; EOPNOTSUPP for a change of immutable or
     *         append-only; what the copy-up or the real entry's ioctl fails with (ENOTTY where its
     *         filesystem has no such flags, EPERM...)
     */
    void answer(String p, int cmd, Pointer arg) {
        boolean get = cmd == FS_IOC_GETFLAGS || cmd == FS_IOC_FSGETXATTR;
        boolean xattrForm = cmd == FS_IOC_FSGETXATTR || cmd == FS_IOC_FSSETXATTR;
        int getCmd = xattrForm ? FS_IOC_FSGETXATTR : FS_IOC_GETFLAGS;
        boolean upper = fs.isUpper(p);
        String real = upper ? fs.up(p) : fs.lo(p);
        if (get) {
            ioctl(real, upper, getCmd, arg);
            int prot = upper ? protattr(real) : 0;
            arg.putInt(0, arg.getInt(0) | (xattrForm ? xflags(prot) : prot));
            return;
        }
        int wanted = arg.getInt(0);
        Pointer now = Native.allocate(FSXATTR_SIZE);
        ioctl(real, upper, getCmd, now);
        int prot = upper ? protattr(real) : 0;
        int protMask = xattrForm ? FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND : FS_IMMUTABLE_FL | FS_APPEND_FL;
        int shown = now.getInt(0) | (xattrForm ? xflags(prot) : prot);
        if ((wanted & protMask) != (shown & protMask)) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "immutable or append-only flag of " + p);
        }
        fs.copyUp(p, true); // even for flags it has already, as the kernel overlay does
        // the real entry's own protection flags stay as they are (a protattr's are not its own)
        arg.putInt(0, (wanted & ~protMask) | (now.getInt(0) & protMask));
        ioctl(fs.up(p), true, cmd, arg);
    }

    private static int xflags(int flags) {
        return ((flags & FS_IMMUTABLE_FL) != 0 ? FS_XFLAG_IMMUTABLE : 0) | ((flags & FS_APPEND_FL) != 0 ? FS_XFLAG_APPEND : 0);
    }

    /** FS_IMMUTABLE_FL and FS_APPEND_FL as the kernel overlay's protattr of upper entry {@code real} gives them. */
    private static int protattr(String real) {
        byte[] v = new byte[8];
        long n = C.lgetxattr(real, PROTATTR, v, v.length);
        int flags = 0;
        for (int i = 0; i < n; i++) {
            if (v[i] == 'a' || v[i] == 'A') {
                flags |= FS_APPEND_FL;
            } else if (v[i] == 'i' || v[i] == 'I') {
                flags |= FS_IMMUTABLE_FL;
            }
        }
        return flags;
    }

    /** The ioctl on the real entry, opened for it alone (a directory too; never following a symlink). */
    private static void ioctl(String real, boolean upper, int cmd, Pointer arg) {
        int flags = Native.O_RDONLY | Native.O_NONBLOCK | Native.O_NOFOLLOW | Native.O_CLOEXEC;
        int fd = Native.check(upper ? C.open(real, flags, 0) : LowerLayer.open(real, flags), "open", real);
        try {
            Native.check(C.ioctl(fd, cmd & 0xffffffffL, arg), "ioctl", real);
        } finally {
            C.close(fd);
        }
    }
}
