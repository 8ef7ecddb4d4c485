package org.dockerontop.overlay.nativeio;

import java.nio.charset.StandardCharsets;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.NulTerminate;
import jnr.ffi.mapper.ToNativeContext;
import jnr.ffi.mapper.ToNativeConverter;

/**
 * Passes a "byte string" (one char per byte, see {@link Native#bytesToString}) to C as the
 * NUL-terminated bytes it stands for: each char's low 8 bits, as ISO-8859-1 encodes them.
 *
 * <p>jnr-ffi's own String conversion runs a {@link java.nio.charset.CharsetEncoder} over a
 * {@link java.nio.CharBuffer} view of the string into a fresh heap ByteBuffer, one virtual call per
 * char, for every path argument of every call: with the JVM's C1 compiler that was about a fifth of
 * the FUSE daemon's user CPU per request. {@link String#getBytes} of a Latin-1 string is an array
 * copy; jffi then copies the array into native memory with the NUL added, as it did the buffer.
 */
@ToNativeConverter.NoContext
@ToNativeConverter.Cacheable
final class ByteStringParameter implements ToNativeConverter<CharSequence, byte[]> {
    static final ByteStringParameter INSTANCE = new ByteStringParameter();

    private ByteStringParameter() {
    }

    @Override
    public byte[] toNative(CharSequence value, ToNativeContext context) {
        if (value == null) {
            return null;
        }
        String s = value.toString();
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) > 0xff) {
                // not a byte string: the encoder this replaces refused such a char as well
                throw new IllegalArgumentException("not a byte string: " + s);
            }
        }
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    @In
    @NulTerminate
    public Class<byte[]> nativeType() {
        return byte[].class;
    }
}
