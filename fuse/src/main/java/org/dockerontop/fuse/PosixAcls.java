package org.dockerontop.fuse;

import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;
import jnr.ffi.Pointer;

/**
 * POSIX ACLs on the mount, as the kernel overlay has them: the kernel checks permissions against
 * the ACLs of whichever layer holds an entry, ACLs are set through the mount, and a new entry
 * inherits its directory's default ACL with the caller's umask ignored.
 *
 * <p>They are on once the INIT reply grants the kernel's {@code FUSE_POSIX_ACL} (libfuse 2 cannot
 * ask for it; {@link KernelReplyPatch} does) together with {@code FUSE_DONT_MASK}: with ACLs the
 * umask must not be applied where a default ACL takes its place, so the kernel sends modes unmasked
 * and {@link #umaskFor} decides, as posix_acl_create(9) does. Without the grant (an old kernel, a
 * libfuse build the patch does not know, or {@code noacl}) the kernel checks the modes only and has
 * applied the umask itself; setting an ACL then fails with EOPNOTSUPP, which makes cp and mv fall
 * back to chmod.
 *
 * <p>The layer filesystems store and apply the ACLs themselves (the server writes them as root with
 * lsetxattr, which updates the mode as setfacl would, and creates entries under the default ACL);
 * copy-up copies them with the other xattrs.
 */
final class PosixAcls {
    static final String ACCESS = "system.posix_acl_access";
    static final String DEFAULT = "system.posix_acl_default";

    private static final LibC C = Native.LIBC;

    private final boolean wanted;
    private volatile boolean granted;

    /** @param wanted false for {@code noacl}: never ask the kernel for ACLs */
    PosixAcls(boolean wanted) {
        this.wanted = wanted;
    }

    boolean wanted() {
        return wanted;
    }

    /**
     * Decides, while the INIT reply is being made (before any later request), what to grant of
     * the kernel's {@code offered} INIT flags: POSIX_ACL with DONT_MASK if both are offered and
     * the mount wants ACLs, and then SETXATTR_EXT if offered (see {@link SetxattrRequest}).
     *
     * @return the flags to add to the reply (0: ACLs stay off)
     */
    int grant(int offered) {
        int both = FuseAbi.FUSE_POSIX_ACL | FuseAbi.FUSE_DONT_MASK;
        if (!wanted || (offered & both) != both) {
            return 0;
        }
        granted = true;
        return both | (offered & FuseAbi.FUSE_SETXATTR_EXT);
    }

    static boolean isAcl(String name) {
        return name.equals(ACCESS) || name.equals(DEFAULT);
    }

    /**
     * Refuses to set or remove an ACL while the kernel neither enforces ACLs nor expects the mode
     * change setting one makes.
     *
     * @throws ErrnoException EOPNOTSUPP for an ACL name when ACLs are off
     */
    void checkSettable(String name) {
        if (!granted && isAcl(name)) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "POSIX ACLs are off on this mount");
        }
    }

    /**
     * Refuses an ACL for an entry only the base holds when the base's filesystem has no ACLs: the
     * kernel overlay answers EOPNOTSUPP there (its real inode has no set_acl) rather than copying
     * the entry up to give it one.
     *
     * @throws ErrnoException EOPNOTSUPP if the base filesystem has no ACLs
     */
    void checkBaseHolds(String lowerPath) {
        if (C.lgetxattr(lowerPath, ACCESS, (byte[]) null, 0) < 0 && Native.errno() == Errno.EOPNOTSUPP) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "ACL on a base without ACLs", lowerPath);
        }
    }

    /**
     * The errno to answer for a failed getxattr of {@code name}: a layer filesystem without ACLs
     * has none (ENODATA), as the kernel overlay reads it; EOPNOTSUPP would make the kernel fail
     * the permission check that asked.
     */
    int getxattrErrno(String name, int errno) {
        return errno == Errno.EOPNOTSUPP && granted && isAcl(name) ? Errno.ENODATA : errno;
    }

    /**
     * The bits of the caller's {@code umask} a new entry must lose: none in a directory with a
     * default ACL ({@code inherits}: the layer filesystem applies that ACL instead), all of them
     * otherwise; none either when ACLs are off (the kernel has applied the umask itself).
     */
    int umaskFor(boolean inherits, int umask) {
        return granted && !inherits ? umask & 0777 : 0;
    }

    /** Whether directory {@code upperDir} has a default ACL (always false when ACLs are off). */
    boolean hasDefault(String upperDir) {
        return granted && C.lgetxattr(upperDir, DEFAULT, (byte[]) null, 0) > 0;
    }

    /**
     * Clears the set-group-ID bit of {@code upperPath}, as setting an ACL does when the caller is
     * neither in the file's group nor has CAP_FSETID (the server sets it as root, which keeps it).
     *
     * @throws ErrnoException the errno of stat or chmod
     */
    void killSgid(String upperPath) {
        Pointer st = Native.allocate(Stat.SIZE);
        Native.check(C.fstatat(Native.AT_FDCWD, upperPath, st, Native.AT_SYMLINK_NOFOLLOW), "stat", upperPath);
        int mode = Stat.mode(st);
        if ((mode & Stat.S_ISGID) != 0) {
            Native.check(C.fchmodat(Native.AT_FDCWD, upperPath, mode & 07777 & ~Stat.S_ISGID, 0), "chmod", upperPath);
        }
    }

    /**
     * Makes directory {@code holder} (in the workdir) with the default ACL of {@code upperDir}, so
     * that an entry made in it and then moved into {@code upperDir} inherits as if made there.
     *
     * @throws ErrnoException the errno of mkdir, or of reading or setting the ACL (then {@code holder}
     *                        is removed again)
     */
    void makeHolder(String holder, String upperDir) {
        Native.check(C.mkdir(holder, 0700), "mkdir", holder);
        try {
            long size = Native.check(C.lgetxattr(upperDir, DEFAULT, (byte[]) null, 0), "getxattr", upperDir);
            byte[] acl = new byte[(int) size];
            long n = Native.check(C.lgetxattr(upperDir, DEFAULT, acl, acl.length), "getxattr", upperDir);
            Native.check(C.lsetxattr(holder, DEFAULT, acl, n, 0), "setxattr", holder);
        } catch (RuntimeException e) {
            C.rmdir(holder);
            throw e;
        }
    }
}
