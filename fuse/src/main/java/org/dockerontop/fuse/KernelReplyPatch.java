package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_DIRECT_IO;
import static org.dockerontop.fuse.FuseAbi.FOPEN_KEEP_CACHE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_CACHE_DIR;
import static org.dockerontop.fuse.FuseAbi.FOPEN_PASSTHROUGH;
import static org.dockerontop.fuse.FuseAbi.FUSE_READDIRPLUS_FLAGS;
import static org.dockerontop.fuse.FuseAbi.FUSE_MAX_PAGES;
import static org.dockerontop.fuse.FuseAbi.FUSE_SETXATTR_EXT;
import static org.dockerontop.fuse.FuseAbi.FUSE_INIT_EXT;
import static org.dockerontop.fuse.FuseAbi.FUSE_PASSTHROUGH2;
import static org.dockerontop.fuse.FuseAbi.FUSE_CREATE;
import static org.dockerontop.fuse.FuseAbi.FUSE_INIT;
import static org.dockerontop.fuse.FuseAbi.FUSE_LINK;
import static org.dockerontop.fuse.FuseAbi.FUSE_LOOKUP;
import static org.dockerontop.fuse.FuseAbi.FUSE_OPEN;
import static org.dockerontop.fuse.FuseAbi.FUSE_OPENDIR;
import static org.dockerontop.fuse.FuseAbi.FUSE_TMPFILE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IOVEC_SIZE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_ERROR;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_LEN;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

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
 * <li><b>OPEN, CREATE, TMPFILE</b>: {@code FOPEN_PASSTHROUGH} with a backing file, or {@code FOPEN_DIRECT_IO},
 * as {@link Passthrough} decides; and in the INIT reply the {@code FUSE_PASSTHROUGH} flag that lets
 * the kernel accept them (kernel 6.9).
 * <li><b>INIT</b>, also: {@code FUSE_DO_READDIRPLUS|FUSE_READDIRPLUS_AUTO} if the kernel offered them
 * (in the lengthened reply), so that listings bring each entry's attributes; {@link ReaddirPlus}
 * answers those requests.
 * <li><b>INIT</b>, also: {@code FUSE_POSIX_ACL|FUSE_DONT_MASK} if the kernel offered them and the
 * mount wants ACLs ({@link PosixAcls}), so that the kernel checks permissions against ACLs and
 * leaves the umask to the server.
 * </ul>
 *
 * <p>Replies to requests made up by {@link ReaddirPlus} are not written but taken by its
 * {@link ReplyCapture}.
 *
 * <p>The flags are ones the kernel honours at any protocol minor version. The INIT reply's minor
 * itself is raised from libfuse's 19 to {@link #RENAME2_MINOR}, so that renameat2 with
 * RENAME_NOREPLACE reaches us ({@link RenameRequest}) instead of failing with EINVAL in the kernel. If the channel's memory does not look like libfuse 2.9's struct, nothing is
 * installed (a different libfuse build costs speed, never correctness).
 */
final class KernelReplyPatch {
    private static final Logger LOG = LoggerFactory.getLogger(KernelReplyPatch.class);
    private static final LibC C = Native.LIBC;


    /** Pages per request we ask for (the kernel's default limit, fuse.max_pages_limit). */
    static final int MAX_PAGES = 256;
    static final int MAX_WRITE = MAX_PAGES * 4096;
    /** A worker's request buffer: the largest WRITE (headers + data) and then some, as libfuse sizes it. */
    static final int REQUEST_BUFFER = MAX_WRITE + 2 * 4096;

    /** libfuse 2.9's struct fuse_chan: {receive, send, destroy}, session, fd, ... on 64-bit. */
    private static final int CHAN_SEND = 8;
    private static final int CHAN_FD = 32;
    /** sizeof(struct fuse_chan): ops (3 pointers), se, fd, bufsize, data, compat, padded. */
    private static final int CHAN_SIZE = 64;
    /** struct fuse_open_out: fh, open_flags, backing_id. */
    private static final int OPEN_OUT_FLAGS = 8;
    private static final int OPEN_OUT_BACKING_ID = 12;
    private static final int OPEN_OUT_SIZE = 16;
    /** struct fuse_init_in after the 40-byte request header: major, minor, max_readahead, flags, flags2. */
    private static final int INIT_IN_MINOR = IN_HEADER_SIZE + 4;
    private static final int INIT_IN_FLAGS = IN_HEADER_SIZE + 12;
    private static final int INIT_IN_FLAGS2 = IN_HEADER_SIZE + 16;
    /** struct fuse_init_out: major, minor, max_readahead, flags, max_background, congestion, max_write, time_gran, max_pages... */
    private static final int INIT_OUT_MINOR = 4;
    private static final int INIT_OUT_FLAGS = 12;
    private static final int INIT_OUT_MAX_WRITE = 20;
    private static final int INIT_OUT_MAX_PAGES = 28;
    private static final int INIT_OUT_FLAGS2 = 32;
    private static final int INIT_OUT_MAX_STACK_DEPTH = 36;
    private static final int INIT_OUT_SIZE = 64;
    /**
     * The protocol minor the kernel sends RENAME2 from (renameat2 with flags; below it the kernel
     * refuses those with EINVAL itself). libfuse 2.9 answers 19, and nothing the kernel does
     * differently from 19 to 23 concerns requests libfuse serves: 7.20-7.23 added flags (honoured
     * only when set), time_gran (0: unchanged) and RENAME2, which {@link RenameRequest} answers.
     */
    static final int RENAME2_MINOR = 23;

    /** The request each worker thread is answering (set by {@link FuseLoop} around every request). */
    private static final class Answering {
        int opcode;
        long node;
    }

    private static final ThreadLocal<Answering> ANSWERING = ThreadLocal.withInitial(Answering::new);

    private final int fd;
    private final java.util.function.LongConsumer lookupReplied;
    private final Passthrough passthrough;
    private final PosixAcls acls;
    private final Callbacks.SendCb send = this::send;
    private Pointer sendPointer;
    /** A copy of the channel as libfuse made it, with libfuse's own send: see {@link #channelFor}. */
    private Pointer plainChannel;
    private volatile boolean kernelOffersMaxPages;
    private volatile boolean kernelOffersPassthrough;
    /** The kernel's INIT flags (ACLs and SETXATTR_EXT are granted from them, see PosixAcls#grant). */
    private volatile int kernelFlags;
    private volatile boolean setxattrExtended;
    private volatile boolean maxPagesGranted;
    private volatile int readdirplusOffered;
    private volatile int kernelMinor;

    private KernelReplyPatch(int fd, java.util.function.LongConsumer lookupReplied, Passthrough passthrough,
            PosixAcls acls) {
        this.fd = fd;
        this.acls = acls;
        this.lookupReplied = lookupReplied;
        this.passthrough = passthrough;
    }

    /**
     * Installs the send operation on libfuse's channel {@code ch}, whose device descriptor is
     * {@code fd}. Leaves the channel alone (and says so in the log) if it is not laid out as
     * libfuse 2.9's. {@code lookupReplied} gets the node id of every successful LOOKUP and LINK
     * reply (entry replies, each of which the kernel counts as one lookup of the node), on
     * the thread answering it, before the reply is written. {@code passthrough} decides how the
     * kernel serves each opened file (null: always by us).
     *
     * @return the installed patch, or null if the channel was left alone
     */
    static KernelReplyPatch install(Pointer ch, int fd, java.util.function.LongConsumer lookupReplied,
            Passthrough passthrough, PosixAcls acls) {
        if (ch == null || ch.getInt(CHAN_FD) != fd || ch.getLong(CHAN_SEND) == 0) {
            LOG.warn("libfuse's channel is not laid out as in libfuse 2.9: 128 KiB writes, uncached directory listings, no READDIRPLUS");
            return null;
        }
        KernelReplyPatch patch = new KernelReplyPatch(fd, lookupReplied, passthrough, acls);
        byte[] chan = new byte[CHAN_SIZE];
        ch.get(0, chan, 0, CHAN_SIZE);
        patch.plainChannel = Native.allocate(CHAN_SIZE);
        patch.plainChannel.put(0, chan, 0, CHAN_SIZE);
        patch.sendPointer = jnr.ffi.Runtime.getSystemRuntime().getClosureManager()
                .getClosurePointer(Callbacks.SendCb.class, patch.send);
        ch.putPointer(CHAN_SEND, patch.sendPointer);
        return patch;
    }

    /**
     * The channel to have libfuse answer a request with {@code opcode} on: {@code ch} (the patched
     * one) for the requests whose replies this patch changes or reports, a copy of it that still
     * has libfuse's own send for all others. Each reply through the patched send is a call from C
     * into the JVM (a jffi closure, a JNI call, the thread-local lookups) on top of the callback
     * that served the request; READ, RELEASE, GETATTR, GETXATTR... need none of it. libfuse
     * sends a reply on the channel the request was processed with ({@code req->ch}); the copy
     * has the same session, descriptor and buffer size, so nothing else tells the two apart.
     * Replies to requests made up by {@link ReaddirPlus} always need {@code ch}: they are captured.
     */
    Pointer channelFor(int opcode, Pointer ch) {
        switch (opcode) {
            case FUSE_INIT:
            case FUSE_LOOKUP:
            case FUSE_LINK:
            case FUSE_OPEN:
            case FUSE_CREATE:
            case FUSE_TMPFILE:
            case FUSE_OPENDIR:
                return ch;
            default:
                return plainChannel;
        }
    }

    /**
     * Records which request the calling worker is about to answer; {@code request} is its buffer
     * (read for the kernel's INIT flags). Call with opcode 0 once it is answered.
     */
    void answering(int opcode, Pointer request) {
        Answering a = ANSWERING.get();
        a.opcode = opcode;
        if (opcode == 0) {
            return;
        }
        a.node = request.getLong(IN_HEADER_NODEID);
        if (opcode == FUSE_INIT) {
            int flags = request.getInt(INIT_IN_FLAGS);
            kernelOffersMaxPages = (flags & FUSE_MAX_PAGES) != 0;
            kernelOffersPassthrough = (flags & FUSE_INIT_EXT) != 0
                    && (request.getInt(INIT_IN_FLAGS2) & FUSE_PASSTHROUGH2) != 0;
            readdirplusOffered = flags & FUSE_READDIRPLUS_FLAGS;
            kernelFlags = flags;
            kernelMinor = request.getInt(INIT_IN_MINOR);
        }
    }

    /** Whether SETXATTR requests come in the extended form, to be rewritten for libfuse. */
    boolean setxattrExtended() {
        return setxattrExtended;
    }

    /** Whether the kernel accepted 1 MiB requests (for the log and tests). */
    boolean maxPagesGranted() {
        return maxPagesGranted;
    }

    private int send(Pointer ch, Pointer iov, long count) {
        if (iov == null) {
            return 0;
        }
        Answering a = ANSWERING.get();
        int opcode = a.opcode;
        try {
            if (count == 2 && iov.getPointer(0).getInt(OUT_HEADER_ERROR) == 0) {
                if (opcode == FUSE_OPEN && passthrough != null && iov.getLong(IOVEC_SIZE + 8) >= OPEN_OUT_SIZE) {
                    decideIo(a.node, iov.getPointer(IOVEC_SIZE), true);
                } else if ((opcode == FUSE_CREATE || opcode == FUSE_TMPFILE) && passthrough != null
                        && iov.getLong(IOVEC_SIZE + 8) >= ENTRY_OUT_SIZE + OPEN_OUT_SIZE) {
                    Pointer entry = iov.getPointer(IOVEC_SIZE);
                    // an O_TMPFILE file stays with the daemon (UnnamedFiles serves it by its own
                    // descriptor), but is counted: a reopen through /proc/self/fd must not be passed
                    // through while the kernel holds the node in cached mode (EIO)
                    decideIo(entry.getLong(0), entry.slice(iov.getLong(IOVEC_SIZE + 8) - OPEN_OUT_SIZE),
                            opcode == FUSE_CREATE);
                } else if (opcode == FUSE_LOOKUP || opcode == FUSE_LINK) {
                    long node = iov.getPointer(IOVEC_SIZE).getLong(0); // fuse_entry_out.nodeid
                    if (node != 0) {
                        lookupReplied.accept(node);
                    }
                } else if (opcode == FUSE_OPENDIR && iov.getLong(IOVEC_SIZE + 8) >= OPEN_OUT_SIZE) {
                    Pointer open = iov.getPointer(IOVEC_SIZE);
                    open.putInt(OPEN_OUT_FLAGS, open.getInt(OPEN_OUT_FLAGS) | FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
                } else if (opcode == FUSE_INIT
                        && (kernelOffersMaxPages || grantsPassthrough() || acls.wanted() || kernelMinor >= RENAME2_MINOR)) {
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

    private boolean grantsPassthrough() {
        return kernelOffersPassthrough && passthrough != null && passthrough.policy() == Passthrough.Policy.ON;
    }

    /** Sets how the kernel serves the file an OPEN or CREATE reply ({@code open}: its fuse_open_out) opens. */
    private void decideIo(long node, Pointer open, boolean mayPass) {
        int io = passthrough.opened(node, open.getLong(0), mayPass);
        if (io > 0) {
            // the kernel fails a passthrough open that also asks to keep the cache (EIO, seen on
            // 6.18); and without KEEP_CACHE it empties the node's own page cache at this open,
            // where pages cached by earlier daemon-served opens would go stale once passthrough
            // writes begin, for a later daemon-served open to read
            open.putInt(OPEN_OUT_FLAGS, (open.getInt(OPEN_OUT_FLAGS) & ~FOPEN_KEEP_CACHE) | FOPEN_PASSTHROUGH);
            open.putInt(OPEN_OUT_BACKING_ID, io);
        } else if (io == Passthrough.DIRECT_IO) {
            open.putInt(OPEN_OUT_FLAGS, open.getInt(OPEN_OUT_FLAGS) | FOPEN_DIRECT_IO);
        }
    }

    /** The INIT reply, lengthened to the current struct so that it can carry max_pages and flags2. */
    private int sendInit(Pointer iov) {
        Pointer header = iov.getPointer(0);
        Pointer init = iov.getPointer(IOVEC_SIZE);
        int len = (int) Math.min(iov.getLong(IOVEC_SIZE + 8), INIT_OUT_SIZE);
        Pointer out = Native.allocate(INIT_OUT_SIZE);
        byte[] copy = new byte[len];
        init.get(0, copy, 0, len);
        out.put(0, copy, 0, len);
        if (kernelOffersMaxPages) {
            out.putInt(INIT_OUT_FLAGS, out.getInt(INIT_OUT_FLAGS) | FUSE_MAX_PAGES);
            out.putInt(INIT_OUT_MAX_WRITE, MAX_WRITE);
            out.putShort(INIT_OUT_MAX_PAGES, (short) MAX_PAGES);
        }
        if (grantsPassthrough()) {
            out.putInt(INIT_OUT_FLAGS, out.getInt(INIT_OUT_FLAGS) | FUSE_INIT_EXT);
            out.putInt(INIT_OUT_FLAGS2, out.getInt(INIT_OUT_FLAGS2) | FUSE_PASSTHROUGH2);
            out.putInt(INIT_OUT_MAX_STACK_DEPTH, passthrough.maxStackDepth());
        }
        out.putInt(INIT_OUT_FLAGS, out.getInt(INIT_OUT_FLAGS) | readdirplusOffered);
        // before the reply: the kernel may send the first create the moment it has it
        int aclFlags = acls.grant(kernelFlags);
        setxattrExtended = (aclFlags & FUSE_SETXATTR_EXT) != 0;
        out.putInt(INIT_OUT_FLAGS, out.getInt(INIT_OUT_FLAGS) | aclFlags);
        if (kernelMinor >= RENAME2_MINOR && out.getInt(INIT_OUT_MINOR) < RENAME2_MINOR) {
            out.putInt(INIT_OUT_MINOR, RENAME2_MINOR);
        }
        header.putInt(OUT_HEADER_LEN, OUT_HEADER_SIZE + INIT_OUT_SIZE);
        Pointer v = Native.allocate(2 * IOVEC_SIZE);
        v.putPointer(0, header);
        v.putLong(8, OUT_HEADER_SIZE);
        v.putPointer(IOVEC_SIZE, out);
        v.putLong(IOVEC_SIZE + 8, INIT_OUT_SIZE);
        int res = writev(v, 2);
        maxPagesGranted = res == 0 && kernelOffersMaxPages;
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
