package org.dockerontop.fuse;

import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;

/**
 * Reads a file's list of xattr names, which may change between asking its size and reading it,
 * and splits it into names. Fails only as {@link #listBytes} says.
 */
final class XattrLists {
    /** File names are held as byte strings: one char per byte (see LibC). */
    private static final java.nio.charset.Charset BYTES = java.nio.charset.StandardCharsets.ISO_8859_1;

    private XattrLists() {
    }

    /** One call of an xattr list function into {@code buf} (null: only ask the size). */
    interface ListCall {
        long call(byte[] buf);
    }

    /**
     * The list {@code call} returns, {@code size} bytes long when asked, asking again if it grew
     * meanwhile (ERANGE). Empty if there is none or on another error.
     *
     * @throws ErrnoException EIO if it kept changing size over five attempts
     */
    static byte[] listBytes(long size, ListCall call) {
        for (int attempt = 0; attempt < 5; attempt++) {
            if (size <= 0) {
                return new byte[0];
            }
            byte[] buf = new byte[(int) size];
            long n = call.call(buf);
            if (n >= 0) {
                return n == buf.length ? buf : java.util.Arrays.copyOf(buf, (int) n);
            }
            if (Native.errno() != Errno.ERANGE) {
                return new byte[0];
            }
            size = call.call(null);
        }
        throw new ErrnoException(Errno.EIO, "xattr list keeps changing");
    }

    /** The names in a NUL-separated xattr list, as byte strings. */
    static java.util.List<String> names(byte[] list) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int start = 0;
        for (int i = 0; i < list.length; i++) {
            if (list[i] == 0) {
                if (i > start) {
                    out.add(new String(list, start, i - start, BYTES));
                }
                start = i + 1;
            }
        }
        return out;
    }
}
