package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;

/** The data path: reads and writes straight between the FUSE buffer and the real file. */
final class OverlayIo {
    private static final LibC C = Native.LIBC;

    private OverlayIo() {
    }

    /** Reads up to {@code size} bytes at {@code offset} into {@code buf}; short only at EOF. */
    static long read(int fd, Pointer buf, long size, long offset) {
        long done = 0;
        while (done < size) {
            long n = C.pread(fd, done == 0 ? buf : buf.slice(done), size - done, offset + done);
            if (n < 0) {
                return done > 0 ? done : -Native.errno();
            }
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** Writes {@code size} bytes from {@code buf} at {@code offset}. */
    static long write(int fd, Pointer buf, long size, long offset) {
        long done = 0;
        while (done < size) {
            long n = C.pwrite(fd, done == 0 ? buf : buf.slice(done), size - done, offset + done);
            if (n < 0) {
                return done > 0 ? done : -Native.errno();
            }
            done += n;
        }
        return done;
    }
}
