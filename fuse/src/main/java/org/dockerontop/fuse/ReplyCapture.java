package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.IOVEC_SIZE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_ERROR;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_UNIQUE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;

/**
 * A buffer that takes libfuse's reply to one request instead of the kernel: while it is
 * {@linkplain #begin begun} on a thread, {@link KernelReplyPatch}'s send copies the reply that
 * thread sends for that request's {@code unique} here rather than writing it to /dev/fuse. This is
 * how {@link ReaddirPlus} has libfuse answer requests the kernel never sent.
 *
 * <p>Only the reply to the one request is taken: anything else libfuse sends meanwhile on the same
 * thread (an EAGAIN for a pending INTERRUPT, say) still goes to the kernel.
 */
final class ReplyCapture {
    private static final ThreadLocal<ReplyCapture> ACTIVE = new ThreadLocal<>();

    private Pointer buf;
    private int capacity;
    private long unique;
    /** Bytes captured; -1 while nothing was, -2 if the reply did not fit. */
    private int length = -1;

    ReplyCapture(int capacity) {
        grow(capacity);
    }

    private void grow(int size) {
        if (buf == null || size > capacity) {
            buf = Native.allocate(size);
            capacity = size;
        }
    }

    /** The capture begun on the calling thread, or null. */
    static ReplyCapture active() {
        return ACTIVE.get();
    }

    /**
     * Takes the calling thread's next reply to request {@code unique} (at most {@code maxLength}
     * bytes, header included) until {@link #end}.
     */
    void begin(long unique, int maxLength) {
        grow(maxLength);
        this.unique = unique;
        length = -1;
        ACTIVE.set(this);
    }

    void end() {
        ACTIVE.set(null);
    }

    /** Is {@code iov} (header first) the reply this capture waits for? */
    boolean takes(Pointer iov) {
        return length == -1 && iov.getPointer(0).getLong(OUT_HEADER_UNIQUE) == unique;
    }

    /** Copies the reply in {@code iov}; the send operation's result (0, or -errno for libfuse). */
    int take(Pointer iov, long count) {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += iov.getLong(i * IOVEC_SIZE + 8);
        }
        if (total > capacity || total < OUT_HEADER_SIZE) {
            length = -2;
            return -Errno.EIO;
        }
        int at = 0;
        for (int i = 0; i < count; i++) {
            int n = (int) iov.getLong(i * IOVEC_SIZE + 8);
            if (n > 0) {
                iov.getPointer(i * IOVEC_SIZE).transferTo(0, buf, at, n);
                at += n;
            }
        }
        length = at;
        return 0;
    }

    /** Was a whole reply captured? */
    boolean captured() {
        return length >= OUT_HEADER_SIZE;
    }

    /** The reply's error: 0 or -errno. */
    int error() {
        return buf.getInt(OUT_HEADER_ERROR);
    }

    /** The captured reply: header, then payload. */
    Pointer reply() {
        return buf;
    }

    /** Bytes of payload after the header. */
    int payloadLength() {
        return length - OUT_HEADER_SIZE;
    }
}
