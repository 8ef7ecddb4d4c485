package org.dockerontop.overlay.nativeio;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The loaded libc and the constants that go with it (Linux, 64-bit). {@link #LIBC} is thread-safe;
 * {@link #errno()} reads the calling thread's errno of the last call made through it.
 */
public final class Native {
    public static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately()
            .map(String.class, ByteStringParameter.INSTANCE).load("c");
    public static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_SYMLINK_FOLLOW = 0x400;
    public static final int AT_EMPTY_PATH = 0x1000;

    /** struct statx: its size, its stx_mask's birth time bit, and where stx_btime (sec, nsec) sits. */
    public static final int STATX_SIZE = 256;
    public static final int STATX_BTIME = 0x800;
    public static final int STATX_OFF_BTIME = 80;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;
    public static final int O_NOATIME = 01000000;
    /** O_TMPFILE as open(2) takes it: __O_TMPFILE with O_DIRECTORY. */
    public static final int O_TMPFILE = 020000000 | O_DIRECTORY;

    public static final int SEEK_SET = 0;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;
    public static final int RENAME_WHITEOUT = 4;

    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;

    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    private Native() {
    }

    /**
     * A path as the byte string LibC expects: the bytes the OS uses for {@code path} (the JVM's
     * file-name encoding), one char per byte.
     */
    public static String bytesToString(String path) {
        String jnu = System.getProperty("sun.jnu.encoding", "UTF-8");
        java.nio.charset.Charset cs;
        try {
            cs = java.nio.charset.Charset.forName(jnu);
        } catch (RuntimeException e) {
            cs = java.nio.charset.StandardCharsets.UTF_8;
        }
        return new String(path.getBytes(cs), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /**
     * The NUL-terminated C string at {@code p + offset} as a byte string (one char per byte), or
     * null if {@code p} is null. (jnr's {@code getString} with a large limit fails on bounded
     * memory, and decoding with the default charset would lose names that are not UTF-8.)
     */
    public static String byteString(Pointer p, long offset) {
        if (p == null) {
            return null;
        }
        int len = p.indexOf(offset, (byte) 0);
        if (len < 0) {
            throw new IllegalArgumentException("unterminated C string");
        }
        byte[] b = new byte[len];
        p.get(offset, b, 0, len);
        return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    public static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    /** Throws an {@link ErrnoException} with the current errno if {@code rc < 0}; returns rc. */
    public static int check(int rc, String call, String path) {
        if (rc < 0) {
            throw ErrnoException.of(errno(), call, path);
        }
        return rc;
    }

    public static long check(long rc, String call, String path) {
        if (rc < 0) {
            throw ErrnoException.of(errno(), call, path);
        }
        return rc;
    }

    /** Direct (off-heap) memory of the given size, zeroed; freed when the Pointer is collected. */
    public static Pointer allocate(int size) {
        return Memory.allocateDirect(RUNTIME, size, true);
    }
}
