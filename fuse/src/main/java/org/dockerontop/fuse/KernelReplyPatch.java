package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds to two of libfuse 2.9's replies what the kernel supports and libfuse 2.9 cannot say, and
 * reports the node id of each LOOKUP and LINK reply, by replacing the send operation of libfuse's channel
 * with one that does so and otherwise writes exactly what libfuse would have written (its
 * {@code fuse_kern_chan_send}).
 *
 * <ul>
 * <li><b>INIT</b>: {@code FUSE_MAX_PAGES} (kernel 4.20) with 256 pages and a 1 MiB max_write, so that
 * a large write(2) reaches us in 1 MiB requests instead of libfuse 2's 128 KiB ones: a 1 GiB
 * sequential write becomes 1,024 round trips instead of 8,192, as with fuse-overlayfs (libfuse 3).
 * Only if the kernel offered the flag. The workers' request buffers are sized for it
 * ({@link #REQUEST_BUFFER}); the kernel refuses to queue a request larger than the reader's buffer.
 * <li><b>OPENDIR</b>: {@code FOPEN_CACHE_DIR|FOPEN_KEEP_CACHE} (kernel 4.20), so that directory
 * listings stay in the kernel's page cache as with fuse-overlayfs: a warm walk of a tree costs
 * OPENDIR and RELEASEDIR per directory and no READDIR (4,195 requests became 1,713 for
 * /usr/include). The kernel drops a cached listing whenever the directory changes through the mount
 * (its change counter and mtime are checked on every read of the cache), and the layers do not change
 * behind the mount's back (the rule the long entry and attribute timeouts already rely on).
 * <li><b>INIT</b>, also: {@code FUSE_DO_READDIRPLUS|FUSE_READDIRPLUS_AUTO} if the kernel offered them
 * (in the lengthened reply, so with FUSE_MAX_PAGES: kernel 4.20), so that listings bring each entry's
 * attributes; {@link ReaddirPlus} answers those requests.
 * </ul>
 *
 * <p>Replies to requests made up by {@link ReaddirPlus} are not written but taken by its
 * {@link ReplyCapture}.
 *
 * <p>Neither changes the protocol version libfuse negotiated: both are flags the kernel honours at
 * any minor version. If the channel's memory does not look like libfuse 2.9's struct, nothing is
 * installed (a different libfuse build costs speed, never correctness).
 */
final class KernelReplyPatch {
    private static final Logger LOG = LoggerFactory.getLogger(KernelReplyPatch.class);
    private static final LibC C = Native.LIBC;

    static final int FUSE_LOOKUP = 1;
    static final int FUSE_LINK = 13;
    static final int FUSE_INIT = 26;
    static final int FUSE_OPENDIR = 27;
    private static final int FOPEN_KEEP_CACHE = 1 << 1;
    private static final int FOPEN_CACHE_DIR = 1 << 3;

    /** Pages per request we ask for (the kernel's default limit, fuse.max_pages_limit). */
    static final int MAX_PAGES = 256;
    static final int MAX_WRITE = MAX_PAGES * 4096;
    /** A worker's request buffer: the largest WRITE (headers + data) and then some, as libfuse sizes it. */
    static final int REQUEST_BUFFER = MAX_WRITE + 2 * 4096;
    /** INIT flags: READDIRPLUS, and (AUTO) only where the kernel finds it pays, like NFS's readdirplus. */
    private static final int FUSE_READDIRPLUS_FLAGS = 1 << 13 | 1 << 14;

    /** libfuse 2.9's struct fuse_chan: {receive, send, destroy}, session, fd, ... on 64-bit. */
    private static final int CHAN_SEND = 8;
    private static final int CHAN_FD = 32;
    /** struct iovec: base, len. struct fuse_out_header: len, error, unique. */
    private static final int IOVEC_SIZE = 16;
    private static final int OUT_HEADER_LEN = 0;
    private static final int OUT_HEADER_ERROR = 4;
    private static final int OUT_HEADER_SIZE = 16;
    /** struct fuse_open_out: fh, open_flags, padding. */
    private static final int OPEN_OUT_FLAGS = 8;
    private static final int OPEN_OUT_SIZE = 16;
    /** struct fuse_init_in after the 40-byte request header: major, minor, max_readahead, flags. */
    private static final int INIT_IN_FLAGS = 40 + 12;
    /** struct fuse_init_out: major, minor, max_readahead, flags, max_background, congestion, max_write, time_gran, max_pages... */
    private static final int INIT_OUT_FLAGS = 12;
    private static final int INIT_OUT_MAX_WRITE = 20;
    private static final int INIT_OUT_MAX_PAGES = 28;
    private static final int INIT_OUT_SIZE = 64;
    private static final int FUSE_MAX_PAGES = 1 << 22;

    /** The opcode each worker thread is answering (set by {@link FuseLoop} around every request). */
    private static final ThreadLocal<int[]> OPCODE = ThreadLocal.withInitial(() -> new int[1]);

    private final int fd;
    private final java.util.function.LongConsumer lookupReplied;
    private final Callbacks.SendCb send = this::send;
    private Pointer sendPointer;
    private volatile boolean kernelOffersMaxPages;
    private volatile boolean maxPagesGranted;
    private volatile int readdirplusOffered;

    private KernelReplyPatch(int fd, java.util.function.LongConsumer lookupReplied) {
        this.fd = fd;
        this.lookupReplied = lookupReplied;
    }

    /**
     * Installs the send operation on libfuse's channel {@code ch}, whose device descriptor is
     * {@code fd}. Leaves the channel alone (and says so in the log) if it is not laid out as
     * libfuse 2.9's. {@code lookupReplied} gets the node id of every successful LOOKUP and LINK
     * reply (entry replies, each of which the kernel counts as one lookup of the node), on
     * the thread answering it, before the reply is written.
     *
     * @return the installed patch, or null if the channel was left alone
     */
    static KernelReplyPatch install(Pointer ch, int fd, java.util.function.LongConsumer lookupReplied) {
        if (ch == null || ch.getInt(CHAN_FD) != fd || ch.getLong(CHAN_SEND) == 0) {
            LOG.warn("libfuse's channel is not laid out as in libfuse 2.9: 128 KiB writes, uncached directory listings, no READDIRPLUS");
            return null;
        }
        KernelReplyPatch patch = new KernelReplyPatch(fd, lookupReplied);
        patch.sendPointer = jnr.ffi.Runtime.getSystemRuntime().getClosureManager()
                .getClosurePointer(Callbacks.SendCb.class, patch.send);
        ch.putPointer(CHAN_SEND, patch.sendPointer);
        return patch;
    }

    /**
     * Records which request the calling worker is about to answer; {@code request} is its buffer
     * (read for the kernel's INIT flags). Call with opcode 0 once it is answered.
     */
    void answering(int opcode, Pointer request) {
        OPCODE.get()[0] = opcode;
        if (opcode == FUSE_INIT) {
            kernelOffersMaxPages = (request.getInt(INIT_IN_FLAGS) & FUSE_MAX_PAGES) != 0;
            readdirplusOffered = request.getInt(INIT_IN_FLAGS) & FUSE_READDIRPLUS_FLAGS;
        }
    }

    /** Whether the kernel accepted 1 MiB requests (for the log and tests). */
    boolean maxPagesGranted() {
        return maxPagesGranted;
    }

    private int send(Pointer ch, Pointer iov, long count) {
        if (iov == null) {
            return 0;
        }
        int opcode = OPCODE.get()[0];
        try {
            if (count == 2 && iov.getPointer(0).getInt(OUT_HEADER_ERROR) == 0) {
                if (opcode == FUSE_LOOKUP || opcode == FUSE_LINK) {
                    long node = iov.getPointer(IOVEC_SIZE).getLong(0); // fuse_entry_out.nodeid
                    if (node != 0) {
                        lookupReplied.accept(node);
                    }
                } else if (opcode == FUSE_OPENDIR && iov.getLong(IOVEC_SIZE + 8) >= OPEN_OUT_SIZE) {
                    Pointer open = iov.getPointer(IOVEC_SIZE);
                    open.putInt(OPEN_OUT_FLAGS, open.getInt(OPEN_OUT_FLAGS) | FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
                } else if (opcode == FUSE_INIT && kernelOffersMaxPages) {
                    return sendInit(iov);
                }
            }
        } catch (Throwable t) {
            LOG.error("patching the reply to request {} failed; sending it as it was", opcode, t);
        }
        ReplyCapture capture = ReplyCapture.active();
        if (capture != null && capture.takes(iov)) {
            return capture.take(iov, count);
        }
        return writev(iov, (int) count);
    }

    /** The INIT reply, lengthened to the current struct so that it can carry max_pages. */
    private int sendInit(Pointer iov) {
        Pointer header = iov.getPointer(0);
        Pointer init = iov.getPointer(IOVEC_SIZE);
        int len = (int) Math.min(iov.getLong(IOVEC_SIZE + 8), INIT_OUT_SIZE);
        Pointer out = Native.allocate(INIT_OUT_SIZE);
        byte[] copy = new byte[len];
        init.get(0, copy, 0, len);
        out.put(0, copy, 0, len);
        out.putInt(INIT_OUT_FLAGS, out.getInt(INIT_OUT_FLAGS) | FUSE_MAX_PAGES);
        out.putInt(INIT_OUT_MAX_WRITE, MAX_WRITE);
        out.putShort(INIT_OUT_MAX_PAGES, (short) MAX_PAGES);
        out.putInt(INIT_OUT_FLAGS, out.getInt(INIT_OUT_FLAGS) | readdirplusOffered);
        header.putInt(OUT_HEADER_LEN, OUT_HEADER_SIZE + INIT_OUT_SIZE);
        Pointer v = Native.allocate(2 * IOVEC_SIZE);
        v.putPointer(0, header);
        v.putLong(8, OUT_HEADER_SIZE);
        v.putPointer(IOVEC_SIZE, out);
        v.putLong(IOVEC_SIZE + 8, INIT_OUT_SIZE);
        int res = writev(v, 2);
        maxPagesGranted = res == 0;
        LOG.debug("INIT: asked the kernel for {} KiB requests: {}", MAX_WRITE / 1024, res == 0 ? "ok" : Native.errno());
        return res;
    }

    /** Writes a reply made outside libfuse ({@code count} struct iovec at {@code iov}): 0 or -errno. */
    int write(Pointer iov, int count) {
        return writev(iov, count);
    }

    private int writev(Pointer iov, int count) {
        long n = C.writev(fd, iov, count);
        // ENOENT: the request was interrupted and the kernel no longer waits for it (libfuse
        // ignores it as well)
        return n < 0 ? -Native.errno() : 0;
    }
}
