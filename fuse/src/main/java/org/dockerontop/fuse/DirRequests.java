package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_CACHE_DIR;
import static org.dockerontop.fuse.FuseAbi.FOPEN_KEEP_CACHE;
import static org.dockerontop.fuse.FuseAbi.OPEN_OUT_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * The directory requests of {@link JavaRequests}: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and
 * FSYNCDIR. An open directory is a {@link DirHandle} in the mount's {@link JavaLoop.Mount#dirs},
 * shared by the workers; its listing is made at the first READDIR from offset 0. One per
 * worker, on its request buffer and reply.
 *
 * <p>Failures are {@link ErrnoException}s: EBADF for a directory handle not known, ENOENT for a
 * node with no path, else those of {@link OverlayFs}'s listing; the loop answers them. A
 * READDIRPLUS entry whose lookup fails is no failure (its node id is 0); the lookups a
 * READDIRPLUS counted are given back when its reply does not reach the kernel, or it fails.
 */
final class DirRequests extends RequestKind {
    // the names readdir had in JavaRequests, so that it reads as it did there
    private static final int REPLY_BODY = Replies.BODY;
    private static final int NO_REPLY = Replies.NONE;

    private final JavaLoop.Mount mount;
    /** Node ids of the READDIRPLUS reply being built (the lookups it hands the kernel). */
    private long[] linked = new long[64];
    private int linkedCount;

    DirRequests(JavaLoop.Mount mount, OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        super(fs, nodes, mem, replies);
        this.mount = mount;
    }

    /** An open directory: its listing, made at the first READDIR from offset 0 (as libfuse does). */
    static final class DirHandle {
        final long node;
        volatile Dirents listing;

        DirHandle(long node) {
            this.node = node;
        }
    }

    int opendir(long nodeid) {
        nodes.path(nodeid); // ENOENT for a directory without a name, as libfuse's get_path
        long fh = mount.nextDirHandle.getAndIncrement();
        mount.dirs.put(fh, new DirHandle(nodeid));
        body.putLong(0, fh);
        body.putInt(8, FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
        body.putInt(12, 0);
        return OPEN_OUT_SIZE;
    }

    /**
     * READDIR and READDIRPLUS from the listing made at offset 0; an entry's offset is its index
     * plus one, the same in both, so the kernel may mix them on one open directory. With
     * attributes, each entry but "." and ".." whose node the kernel does not hold yet is looked up
     * (one lookup of its node each, given back if the reply does not reach the kernel); the others,
     * and a name whose lookup fails, get node id 0.
     */
    int readdir(long nodeid, long unique, boolean plus) {
        DirHandle d = mount.dirs.get(mem.getLong(IN));
        if (d == null) {
            return -Errno.EBADF;
        }
        long offset = mem.getLong(IN + 8);
        int size = (int) Math.min(mem.getInt(IN + 16) & 0xffffffffL, REPLY_BODY);
        String dirPath = nodes.path(d.node);
        Dirents l;
        synchronized (d) {
            l = d.listing;
            if (l == null || offset == 0) {
                l = new Dirents();
                fs.readdir(dirPath, l);
                d.listing = l;
            }
        }
        if (!plus) {
            return l.copy(body, 0, offset, size);
        }
        linkedCount = 0;
        int pos = 0;
        try {
            int first = offset < 0 || offset > l.count() ? l.count() : (int) offset;
            for (int i = first; i < l.count(); i++) {
                int full = ENTRY_OUT_SIZE + l.recordLength(i);
                if (pos + full > size) {
                    break;
                }
                String name = l.isDotOrDotDot(i) ? null : l.name(i);
                // node id 0, no entry given: for "." and "..", a name whose lookup fails, and one
                // whose node the kernel holds already (it keeps what it has: NodeTable.held)
                if (name == null || nodes.held(d.node, name) || !lookupForListing(d.node, dirPath, name, pos)) {
                    body.setMemory(pos, ENTRY_OUT_SIZE, (byte) 0);
                }
                l.copyRecord(i, body, pos + ENTRY_OUT_SIZE);
                pos += full;
            }
        } catch (RuntimeException | Error e) {
            forgetLinked();
            throw e;
        }
        if (replies.send(unique, pos) != 0) {
            forgetLinked(); // the kernel did not take the entries, so it will never forget them
        }
        return NO_REPLY;
    }

    /** A LOOKUP of {@code name} for a READDIRPLUS entry at {@code pos}: false if it failed. */
    private boolean lookupForListing(long dir, String dirPath, String n, int pos) {
        // String.concat, not +: a + call site is linked (invokedynamic) by its first use, in the
        // middle of the first READDIRPLUS a fresh mount serves
        String path = (dirPath.length() == 1 ? dirPath : dirPath.concat("/")).concat(n);
        try {
            fs.getattr(path, st);
            long node = nodes.lookedUp(dir, n, fs.sharedInode(), Stat.isDir(st));
            if (linkedCount == linked.length) {
                linked = java.util.Arrays.copyOf(linked, linked.length * 2);
            }
            linked[linkedCount++] = node;
            AttrEncoding.entry(st, body, pos, node);
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    private void forgetLinked() {
        for (int i = 0; i < linkedCount; i++) {
            nodes.forget(linked[i], 1);
        }
        linkedCount = 0;
    }

    /** RELEASEDIR: fh; the listing goes with the handle. */
    int releasedir() {
        mount.dirs.remove(mem.getLong(IN));
        return 0;
    }

    /** FSYNCDIR. */
    int fsyncdir(long nodeid) {
        fs.fsyncdir(nodes.path(nodeid));
        return 0;
    }
}
