package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.FUSE_FORGET;
import static org.dockerontop.fuse.FuseAbi.FUSE_LOOKUP;
import static org.dockerontop.fuse.FuseAbi.FUSE_READDIR;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_LEN;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UNIQUE;
import static org.dockerontop.fuse.FuseAbi.IOVEC_SIZE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the kernel's READDIRPLUS, which libfuse 2.9 does not know, by asking libfuse itself:
 * the same request as a READDIR, then a LOOKUP of each listed name, their replies captured
 * ({@link ReplyCapture}) and written to the kernel as one READDIRPLUS reply. A directory listing then
 * brings every entry's attributes, so a walk that stats what it lists (ls -l, find, os.walk) costs
 * no LOOKUP round trip per entry.
 *
 * <p>Why through libfuse: an entry reply hands the kernel a node id, which must be one of libfuse's
 * (its node table maps node ids to paths) and must be counted as a lookup of that node, since the
 * kernel sends a FORGET for every entry it linked. A LOOKUP processed by libfuse does both, exactly as
 * for one the kernel sent. The kernel counts one lookup for each entry of the reply with a node id
 * (fs/fuse/readdir.c, fuse_direntplus_link: and sends a FORGET for one it fails to link), so the
 * entries without attributes carry node id 0, which it skips: "." and ".." (it takes no lookup for
 * them, whatever the node id) and names whose LOOKUP failed. If the reply cannot be delivered, the
 * lookups it counted are forgotten again.
 *
 * <p>The READDIR reply's offsets are kept: each is where the listing resumes after its entry, the
 * same in both kinds of request (libfuse serves both from the listing it made at offset 0), so the
 * kernel may mix READDIR and READDIRPLUS on one open directory (it does with READDIRPLUS_AUTO) and
 * its cache of the listing ({@code FOPEN_CACHE_DIR}) stays consistent. Only the entries that fit the
 * request's size with their attributes are sent; the next request starts after the last of them.
 *
 * <p>One instance per worker thread: its buffers are reused for every request.
 */
final class ReaddirPlus {
    private static final Logger LOG = LoggerFactory.getLogger(ReaddirPlus.class);

    /** struct fuse_read_in (READDIR and READDIRPLUS): fh, offset, size, read_flags, lock_owner, flags, padding. */
    private static final int READ_IN_OFFSET = IN_HEADER_SIZE + 8;
    private static final int READ_IN_SIZE_FIELD = IN_HEADER_SIZE + 16;
    private static final int READ_IN_SIZE = 40;
    /** struct fuse_forget_in: nlookup. */
    private static final int FORGET_IN_SIZE = 8;
    /** struct fuse_dirent: ino, off, namelen, type, name (padded to 8 bytes). */
    private static final int DIRENT_NAMELEN = 16;
    private static final int DIRENT_NAME = 24;
    /** FUSE_NAME_MAX: the longest name the kernel accepts in a dirent. */
    private static final int NAME_MAX = 1024;
    /** The largest listing answered at once (the kernel asks for at most max_pages, 1 MiB). */
    private static final int MAX_SIZE = KernelReplyPatch.MAX_WRITE;

    /** Serves one request from a buffer exactly as the loop serves one it read from /dev/fuse. */
    interface Session {
        void process(Pointer request);
    }

    private final KernelReplyPatch replies;
    private final Session session;
    /** The requests made up for libfuse: READDIR, LOOKUP, FORGET. */
    private final Pointer request = Native.allocate(IN_HEADER_SIZE + NAME_MAX + 1);
    private final ReplyCapture listing = new ReplyCapture(OUT_HEADER_SIZE + 4096);
    private final ReplyCapture entry = new ReplyCapture(OUT_HEADER_SIZE + ENTRY_OUT_SIZE);
    private final Pointer iov = Native.allocate(IOVEC_SIZE);
    private Pointer out = Native.allocate(OUT_HEADER_SIZE + 4096);
    private int outCapacity = OUT_HEADER_SIZE + 4096;
    /** Node ids of the entries in the reply being built (the lookups it hands the kernel). */
    private long[] linked = new long[64];
    private int linkedCount;

    ReaddirPlus(KernelReplyPatch replies, Session session) {
        this.replies = replies;
        this.session = session;
    }

    /**
     * Answers the READDIRPLUS request in {@code req} ({@code length} bytes). Always answers it: with
     * the listing, or with an error reply (EIO if anything went wrong here). Never throws.
     */
    void answer(Pointer req, int length) {
        int status;
        try {
            status = serve(req, length);
        } catch (Throwable t) {
            LOG.error("READDIRPLUS of node {} failed", req.getLong(IN_HEADER_NODEID), t);
            status = -Errno.EIO;
            try {
                forgetLinked();
            } catch (Throwable t2) {
                LOG.error("forgetting the lookups of a failed READDIRPLUS", t2);
            }
        } finally {
            listing.end();
            entry.end();
        }
        if (status < 0) {
            replyError(req.getLong(IN_HEADER_UNIQUE), status);
        }
    }

    /** Builds and writes the reply; 0 once the kernel has it (or gave the request up), else -errno to answer with. */
    private int serve(Pointer req, int length) {
        linkedCount = 0;
        if (length < IN_HEADER_SIZE + READ_IN_SIZE) {
            LOG.error("READDIRPLUS request of {} bytes", length);
            return -Errno.EIO;
        }
        long unique = req.getLong(IN_HEADER_UNIQUE);
        long dir = req.getLong(IN_HEADER_NODEID);
        int size = (int) Math.min(req.getInt(READ_IN_SIZE_FIELD) & 0xffffffffL, MAX_SIZE);

        // the listing: the same request as a READDIR (same header: unique, node, caller's ids)
        req.transferTo(0, request, 0, IN_HEADER_SIZE + READ_IN_SIZE);
        request.putInt(IN_HEADER_LEN, IN_HEADER_SIZE + READ_IN_SIZE);
        request.putInt(IN_HEADER_OPCODE, FUSE_READDIR);
        request.putInt(READ_IN_SIZE_FIELD, size);
        listing.begin(unique, OUT_HEADER_SIZE + size);
        session.process(request);
        listing.end();
        if (!listing.captured()) {
            LOG.error("libfuse did not answer the READDIR made for node {}", dir);
            return -Errno.EIO;
        }
        if (listing.error() != 0) {
            return listing.error();
        }

        // every entry that fits with its attributes, each looked up by libfuse
        if (outCapacity < OUT_HEADER_SIZE + size) {
            out = Native.allocate(OUT_HEADER_SIZE + size);
            outCapacity = OUT_HEADER_SIZE + size;
        }
        Pointer dirents = listing.reply();
        int at = OUT_HEADER_SIZE;
        int end = OUT_HEADER_SIZE + listing.payloadLength();
        int outAt = OUT_HEADER_SIZE;
        int entries = 0;
        while (end - at >= DIRENT_NAME) {
            int namelen = dirents.getInt(at + DIRENT_NAMELEN);
            int reclen = (DIRENT_NAME + namelen + 7) & ~7;
            if (namelen <= 0 || namelen > NAME_MAX || reclen > end - at) {
                break; // libfuse cuts its listing at the size asked for, maybe inside an entry
            }
            if (outAt - OUT_HEADER_SIZE + ENTRY_OUT_SIZE + reclen > size) {
                break;
            }
            if (isDotOrDotDot(dirents, at + DIRENT_NAME, namelen)
                    || !lookup(unique, dir, dirents, at + DIRENT_NAME, namelen, out, outAt)) {
                out.setMemory(outAt, ENTRY_OUT_SIZE, (byte) 0); // node id 0: a name without attributes
            }
            dirents.transferTo(at, out, outAt + ENTRY_OUT_SIZE, reclen);
            outAt += ENTRY_OUT_SIZE + reclen;
            at += reclen;
            entries++;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("READDIRPLUS node {} offset {} size {}: {} entries, {} with attributes", dir,
                    req.getLong(READ_IN_OFFSET), size, entries, linkedCount);
        }

        // one reply (no entries: the end of the directory)
        int res = send(unique, 0, outAt);
        if (res == 0) {
            return 0;
        }
        // the kernel did not take the entries, so it will never forget their lookups
        forgetLinked();
        if (res == -Errno.ENOENT) {
            return 0; // the request was interrupted: the kernel no longer waits for an answer
        }
        LOG.error("the kernel refused the READDIRPLUS reply for node {} ({} bytes): {}", dir, outAt, Errno.name(-res));
        return -Errno.EIO;
    }

    /**
     * Has libfuse look {@code name} up in node {@code dir} and puts the reply's fuse_entry_out at
     * {@code out + outAt}; false if the lookup failed.
     */
    private boolean lookup(long unique, long dir, Pointer names, int nameAt, int namelen, Pointer to, int outAt) {
        // the header is still the READDIR's: unique, node, the caller's uid/gid/pid
        request.putInt(IN_HEADER_LEN, IN_HEADER_SIZE + namelen + 1);
        request.putInt(IN_HEADER_OPCODE, FUSE_LOOKUP);
        request.putLong(IN_HEADER_NODEID, dir);
        names.transferTo(nameAt, request, IN_HEADER_SIZE, namelen);
        request.putByte(IN_HEADER_SIZE + namelen, (byte) 0);
        entry.begin(unique, OUT_HEADER_SIZE + ENTRY_OUT_SIZE);
        session.process(request);
        entry.end();
        if (!entry.captured() || entry.error() != 0 || entry.payloadLength() < ENTRY_OUT_SIZE) {
            return false;
        }
        entry.reply().transferTo(OUT_HEADER_SIZE, to, outAt, ENTRY_OUT_SIZE);
        long node = to.getLong(outAt);
        if (node != 0) {
            if (linkedCount == linked.length) {
                linked = java.util.Arrays.copyOf(linked, linked.length * 2);
            }
            linked[linkedCount++] = node;
        }
        return true;
    }

    /** Has libfuse forget the lookups counted for the reply being built, as the kernel would have. */
    private void forgetLinked() {
        int n = linkedCount;
        linkedCount = 0;
        for (int i = 0; i < n; i++) {
            request.putInt(IN_HEADER_LEN, IN_HEADER_SIZE + FORGET_IN_SIZE);
            request.putInt(IN_HEADER_OPCODE, FUSE_FORGET);
            request.putLong(IN_HEADER_NODEID, linked[i]);
            request.putLong(IN_HEADER_SIZE, 1);
            session.process(request); // no reply
        }
    }

    /** Writes the first {@code length} bytes of {@code out} (header included, filled in here) as the reply to {@code unique}: 0 or -errno. */
    private int send(long unique, int error, int length) {
        FuseAbi.outHeader(out, length, error, unique);
        iov.putPointer(0, out);
        iov.putLong(8, length);
        return replies.write(iov, 1);
    }

    private void replyError(long unique, int error) {
        try {
            int res = send(unique, error, OUT_HEADER_SIZE);
            if (res != 0 && res != -Errno.ENOENT) {
                LOG.error("could not answer a READDIRPLUS: {}", Errno.name(-res));
            }
        } catch (Throwable t) {
            LOG.error("could not answer a READDIRPLUS", t);
        }
    }

    private static boolean isDotOrDotDot(Pointer p, int at, int len) {
        return p.getByte(at) == '.' && (len == 1 || (len == 2 && p.getByte(at + 1) == '.'));
    }
}
