package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's reply buffer of {@link JavaRequests} (a fuse_out_header, then the {@link #body}
 * the request kinds fill) and its write to /dev/fuse.
 *
 * <p>A reply is written once per request: by the loop after the request's class returned the
 * body's length, or by that class itself ({@link #send}) where it must know whether the kernel
 * took the reply (an entry or an open file it would otherwise never forget or release), which
 * then returns {@link #NONE}. Writing fails with no exception: ENOENT (the request was
 * interrupted, the kernel no longer waits) and ENODEV (the mount is gone) are expected, anything
 * else is logged; the caller gets -errno.
 */
final class Replies {
    private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

    /**
     * The largest reply body written from {@link #body}: an xattr value or list (XATTR_SIZE_MAX),
     * a listing (the kernel asks for a page at a time), a link target. READ replies are built in
     * the request buffer ({@link DataRequests}).
     */
    static final int BODY = 64 * 1024 + 4096;

    /** No reply is to be written (FORGET, BATCH_FORGET) or one was written already. */
    static final int NONE = Integer.MIN_VALUE;

    /** The reply's body: what follows the header. */
    final Pointer body;
    private final Pointer out;
    private final int device;
    /** {@code -d}: {@link RequestTrace} of every reply. */
    private final boolean debug;

    Replies(int device, boolean debug) {
        this.device = device;
        this.debug = debug;
        this.out = Native.allocate(OUT_HEADER_SIZE + BODY);
        this.body = out.slice(OUT_HEADER_SIZE);
    }

    /** Writes the reply: {@code len} bytes of body, or the error {@code len} (negative). 0 or -errno of the write. */
    int send(long unique, int len) {
        int error = 0;
        if (len < 0) {
            error = len;
            len = 0;
        }
        FuseAbi.outHeader(out, OUT_HEADER_SIZE + len, error, unique);
        if (debug) {
            RequestTrace.reply(unique, error, OUT_HEADER_SIZE + len);
        }
        long n = SplicedReads.SYS.write(device, out, OUT_HEADER_SIZE + len);
        if (n < 0) {
            int e = Native.errno();
            if (e != Errno.ENOENT && e != Errno.ENODEV) {
                LOG.error("writing a reply to /dev/fuse failed: {}", Errno.name(e));
            }
            return -e;
        }
        return 0;
    }
}
