package org.dockerontop.plugin.mount;

import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc calls the mount strategies need with an exact errno: Java's file API reports
 * errors as locale-dependent text, and the difference between ENOTCONN (a dead FUSE mount), EBUSY
 * (a busy mountpoint) and EINVAL (nothing mounted) decides what we do.
 */
final class LibC {
    /** umount2 flag: detach the mount now, release it once it is no longer used. */
    static final int MNT_DETACH = 2;
    /** umount2 flag: do not follow a symlink at the target (the mountpoint is always a real directory). */
    static final int UMOUNT_NOFOLLOW = 8;

    static final int ENOTCONN = Errno.ENOTCONN.intValue();
    static final int EBUSY = Errno.EBUSY.intValue();
    static final int EINVAL = Errno.EINVAL.intValue();
    static final int ENOENT = Errno.ENOENT.intValue();

    public interface Native {
        @SaveError
        int statfs(String path, byte[] buf);

        @SaveError
        int umount2(String target, int flags);

        int kill(int pid, int signal);
    }

    private static final Native NATIVE = LibraryLoader.create(Native.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(NATIVE);

    private LibC() {
    }

    /**
     * statfs(2) as a liveness probe: unlike stat or access, which the kernel answers from its attribute
     * cache, FUSE never caches statfs, so it reaches the serving process every time.
     *
     * @return 0, or the errno of statfs(path)
     */
    static int statfs(String path) {
        byte[] buf = new byte[256]; // struct statfs is 120 bytes on x86-64 and aarch64
        return NATIVE.statfs(path, buf) == 0 ? 0 : RUNTIME.getLastError();
    }

    /** @return 0, or the errno of umount2(target, flags | UMOUNT_NOFOLLOW) */
    static int umount2(String target, int flags) {
        return NATIVE.umount2(target, flags | UMOUNT_NOFOLLOW) == 0 ? 0 : RUNTIME.getLastError();
    }

    /** Wakes a stopped process (SIGCONT) so that a SIGTERM sent to it is handled now, not at some later resume. */
    static void resume(long pid) {
        NATIVE.kill((int) pid, jnr.constants.platform.Signal.SIGCONT.intValue());
    }

    static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name() + " (" + e.description() + ")";
    }
}
