package org.dockerontop.fuse;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;

/**
 * The NUL-terminated names in a request of {@link JavaRequests}, as byte strings (ISO-8859-1:
 * one char a byte, as the paths of {@link OverlayFs} are).
 *
 * <p>Fails with {@link ErrnoException} EIO for a name with no NUL before the request's end (a
 * request the kernel would not send).
 */
final class RequestNames {
    private RequestNames() {
    }

    /** Offset of the first NUL at or after {@code from} in the {@code length}-byte request {@code mem}. */
    static int nul(Pointer mem, int from, int length) {
        for (int i = from; i < length; i++) {
            if (mem.getByte(i) == 0) {
                return i;
            }
        }
        throw new ErrnoException(Errno.EIO, "unterminated name in request");
    }

    /** The bytes from {@code from} to {@code end} (exclusive). */
    static String string(Pointer mem, int from, int end) {
        byte[] b = new byte[end - from];
        mem.get(from, b, 0, b.length);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The NUL-terminated name at {@code from}. */
    static String name(Pointer mem, int from, int length) {
        return string(mem, from, nul(mem, from, length));
    }
}
