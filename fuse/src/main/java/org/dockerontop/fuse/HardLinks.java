package org.dockerontop.fuse;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.dockerontop.overlay.nativeio.Errno;

/**
 * Files with several names, as the kernel holds them ({@link LinkedFile}): tracks which nodes, and
 * which names under which parent nodes, each such file is held under, from the entry replies to the
 * FORGETs that end them, and drops the other nodes' caches when a request changes the file's data,
 * attributes or link count through one of them.
 *
 * <p>Nothing here makes a system call on the file or fails: the drops go through
 * {@link OverlayFs.KernelCache} (none before the mount is served), whose errors (such as -ENOENT
 * for a node the kernel has evicted) need no action. The per-request state lives in the calling
 * worker's {@link OverlayFs.Scratch}.
 *
 * <p>For libfuse's loop only, whose nodes are per name: our loop gives every name of a file one
 * node, and {@link OverlayFs} has none of this there ({@link OverlayFs#oneNodePerUpperInode}).
 */
final class HardLinks {
    /**
     * A file with several names, as the kernel knows it: libfuse 2's path API gives each name its
     * own node id, so the kernel keeps one inode, attribute cache and page cache per name, and a
     * change made through one of them must be pushed to the others (a lowlevel filesystem would
     * answer every name with one node instead).
     */
    static final class LinkedFile {
        /** The node ids the kernel may hold this file under. */
        final Set<Long> nodes = ConcurrentHashMap.newKeySet();
        /** Requests changing the file's data right now (see {@link HardLinks#beginDataChange}). */
        final java.util.concurrent.atomic.AtomicInteger changing = new java.util.concurrent.atomic.AtomicInteger();
    }

    /** A tracked node: the file (inode key) it names, and how many entry replies the kernel got for it. */
    private static final class TrackedNode {
        final long ino;
        /** Lookups the kernel holds; -1 if unknown (it was looked up before it had several names), for good. */
        volatile long lookups;

        TrackedNode(long ino, long lookups) {
            this.ino = ino;
            this.lookups = lookups;
        }
    }

    /** Files with several names, by the inode number the overlay reports. */
    private final ConcurrentHashMap<Long, LinkedFile> linkedFiles = new ConcurrentHashMap<>();
    /** The same, by node id: what lets a FORGET end the tracking, so memory follows the kernel's cache. */
    private final ConcurrentHashMap<Long, TrackedNode> trackedNodes = new ConcurrentHashMap<>();
    /**
     * Names (path to parent node) under which the kernel looked up each non-directory that had
     * several links. libfuse gives each name its own node, so when a link or unlink changes
     * the count, the other names' cached attributes must be dropped.
     */
    private final ConcurrentHashMap<Long, ConcurrentHashMap<String, Long>> linkNames = new ConcurrentHashMap<>();

    /** For its {@link OverlayFs#kernelCache}, set once the mount is served. */
    private final OverlayFs fs;
    private final ThreadLocal<OverlayFs.Scratch> scratch;

    HardLinks(OverlayFs fs, ThreadLocal<OverlayFs.Scratch> scratch) {
        this.fs = fs;
        this.scratch = scratch;
    }

    /** Is no file tracked? (Nearly always so: then nothing else here need be asked.) */
    boolean none() {
        return linkedFiles.isEmpty();
    }

    /**
     * Does the kernel hold file {@code ino} under several nodes even if it has one link now (a
     * name given to an O_TMPFILE file, whose descriptor's node is another; a hard link just
     * removed)?
     */
    boolean tracked(long ino) {
        return !linkedFiles.isEmpty() && linkedFiles.containsKey(ino);
    }

    /** Sink for stale names: {@code name} null means {@code node} is the inode's own node. */
    interface StaleSink {
        void stale(long node, String name);
    }

    /**
     * While a LINK request is served, once the new name {@code to} (under node {@code parent}) of
     * file {@code ino} exists: records the names and nodes the kernel holds the file under. Before
     * the reply, not after it: the caller may write through the new name as soon as linkat(2)
     * returns, and that write must drop the source node's cached pages (an O_TMPFILE descriptor's
     * node whose pages stayed stale for good when the worker that answered the link lost its CPU
     * before noting it, TmpfileRegressionTest.writeThroughTheNameRightAfterLinkat).
     */
    void linked(long ino, String to, long parent, long source) {
        ConcurrentHashMap<String, Long> names = linkNames.computeIfAbsent(ino, k -> new ConcurrentHashMap<>());
        names.put(to, parent);
        if (source != 0) {
            names.put("#", source);
            // the source node was looked up by a name that may have had one link then: its
            // lookup count is unknown unless it is tracked already
            track(ino, source, false);
        }
    }

    /** After a request: the names whose cached nlink became wrong, each with its parent node. */
    void takeStaleLinks(StaleSink sink) {
        OverlayFs.Scratch s = scratch.get();
        long ino = s.linkCountChanged;
        if (ino == 0) {
            return;
        }
        s.linkCountChanged = 0;
        ConcurrentHashMap<String, Long> names = linkNames.get(ino);
        if (names == null) {
            return;
        }
        for (java.util.Map.Entry<String, Long> e : names.entrySet()) {
            String p = e.getKey();
            sink.stale(e.getValue(), p.equals("#") ? null : p.substring(p.lastIndexOf('/') + 1));
        }
    }

    /**
     * While a LOOKUP is answered (see {@link OverlayFs#lookupReplied}): the node id libfuse gave
     * the entry, tracked if the entry is a file with several names or the node is tracked already.
     */
    void lookupReplied(OverlayFs.Scratch s, long node) {
        if (s.multiLinkSeen != null) {
            track(s.multiLinkIno, node, true);
        } else if (!trackedNodes.isEmpty() && trackedNodes.containsKey(node)) {
            track(0, node, true); // one more lookup the kernel will forget, even at nlink 1 now
        }
    }

    /** After a LOOKUP under node {@code parent}: remember the name a file with several names was found by. */
    void endLookup(OverlayFs.Scratch s, long parent) {
        if (s.multiLinkSeen != null) {
            linkNames.computeIfAbsent(s.multiLinkIno, k -> new ConcurrentHashMap<>()).put(s.multiLinkSeen, parent);
            s.multiLinkSeen = null;
        }
    }

    /**
     * Name {@code p} of file {@code ino} is gone (unlinked, or replaced by a rename).
     *
     * @return the node of the file the LINK that gave it a name came from, if known, else null
     */
    Long removeName(long ino, String p) {
        ConcurrentHashMap<String, Long> names = linkNames.get(ino);
        if (names == null) {
            return null;
        }
        names.remove(p);
        return names.get("#");
    }

    /**
     * Records that the kernel knows file {@code ino} (0: the one the node is already tracked for)
     * under {@code node}; {@code reply}: it is an entry reply, which the kernel counts as a lookup
     * (else the count is unknown).
     */
    private void track(long ino, long node, boolean reply) {
        // every change of a node's tracking runs under its entry's lock in trackedNodes, so the
        // two maps agree about it
        trackedNodes.compute(node, (k, old) -> {
            if (old == null) {
                if (ino == 0) {
                    return null;
                }
                addNode(ino, node);
                return new TrackedNode(ino, reply ? 1 : -1);
            }
            long lookups = old.lookups < 0 ? -1 : old.lookups + (reply ? 1 : 0);
            if (ino != 0 && ino != old.ino) {
                // the name now reports another inode (copied up where origins are not supported)
                dropNode(old.ino, node);
                addNode(ino, node);
                return new TrackedNode(ino, lookups);
            }
            old.lookups = lookups;
            return old;
        });
    }

    private void addNode(long ino, long node) {
        linkedFiles.compute(ino, (k, f) -> {
            LinkedFile lf = f == null ? new LinkedFile() : f;
            lf.nodes.add(node);
            return lf;
        });
    }

    /** Takes {@code node} out of file {@code ino}'s nodes; forgets the file when none is left. */
    private void dropNode(long ino, long node) {
        boolean[] gone = {false};
        linkedFiles.computeIfPresent(ino, (k, f) -> {
            f.nodes.remove(node);
            gone[0] = f.nodes.isEmpty();
            return gone[0] ? null : f;
        });
        if (gone[0]) {
            // the kernel holds none of its names any more: nothing of it left to invalidate
            linkNames.remove(ino);
        }
    }

    /**
     * After the kernel sent FORGET for {@code node} with {@code count} lookups: stops tracking it
     * once the kernel has forgotten every lookup it was given (the count is exact whatever order
     * the FORGET and a new lookup of the node are served in). For a node whose count is unknown,
     * asks the kernel whether it still has the node.
     */
    void forgotten(long node, long count) {
        if (trackedNodes.isEmpty()) {
            return;
        }
        TrackedNode t = trackedNodes.get(node);
        if (t == null) {
            return;
        }
        if (t.lookups < 0) {
            // asked outside the map's lock: the kernel may first finish evicting that inode
            OverlayFs.KernelCache kc = fs.kernelCache;
            if (kc != null && kc.dropAttributes(node) != -Errno.ENOENT) {
                return;
            }
            trackedNodes.computeIfPresent(node, (k, old) -> {
                if (old != t) {
                    return old;
                }
                dropNode(old.ino, node);
                return null;
            });
            return;
        }
        trackedNodes.computeIfPresent(node, (k, old) -> {
            if (old.lookups < 0) {
                return old;
            }
            old.lookups -= count;
            if (old.lookups > 0) {
                return old;
            }
            dropNode(old.ino, node);
            return null;
        });
    }

    /**
     * Before a request changes the data of file {@code ino} (the inode number the overlay
     * reports), if it has several names. Call {@link #dataChanged} once it has, before the reply;
     * the loop calls {@link #endDataChange} after it.
     */
    void beginDataChange(long ino) {
        LinkedFile f = linkedFiles.get(ino);
        OverlayFs.Scratch s = scratch.get();
        if (f == null || s.change != null) {
            return;
        }
        s.change = f;
        s.changeAlone = f.changing.incrementAndGet() == 1;
        s.changeCounted = true;
    }

    /**
     * This request no longer counts as changing its file's data: it will not wait for page locks
     * any more, only answer. Done as soon as that is so, not after the reply, so that the next
     * change through another name (on the other worker, while this one is still busy after its
     * reply) is not taken for a concurrent one and left to drop the pages late.
     */
    private static void uncountChange(OverlayFs.Scratch s) {
        if (s.changeCounted) {
            s.changeCounted = false;
            s.change.changing.decrementAndGet();
        }
    }

    /**
     * Before the reply to a request that changed a multi-linked file's data: drops what the
     * kernel caches for the file's other names, so that once the caller sees the change done it
     * reads it through every name.
     *
     * <p>Dropping an inode's pages waits for the ones locked, and a page stays locked while the
     * kernel waits for our answer to a READ or WRITE on it. So the pages are dropped here only if
     * no other request is changing this file's data (two writers through two names, each waiting
     * for the other's locked pages before answering, would deadlock) and another worker stays free
     * to answer the requests these locks wait for. Otherwise only the attributes are dropped now
     * (no page lock: a changed size is still seen at once, as the kernel drops the pages of a file
     * whose size it finds changed) and the pages right after the reply, on a thread of their own.
     */
    void dataChanged() {
        OverlayFs.Scratch s = scratch.get();
        LinkedFile f = s.change;
        OverlayFs.KernelCache kc = fs.kernelCache;
        if (f == null || kc == null) {
            return;
        }
        boolean now = s.changeAlone && kc.tryWait();
        try {
            for (Long node : f.nodes) {
                if (node != s.requestNode) {
                    // never our own node: the caller holds its pages locked until we answer
                    // -ENOENT (the kernel has evicted it) needs nothing: its FORGET ends the tracking
                    if (now) {
                        kc.dropData(node);
                    } else {
                        kc.dropAttributes(node);
                    }
                }
            }
        } finally {
            if (now) {
                kc.endWait();
            }
            uncountChange(s);
        }
        s.changePending = !now;
    }

    /** After the reply (called by the loop for every request): finishes {@link #dataChanged}. */
    void endDataChange() {
        OverlayFs.Scratch s = scratch.get();
        LinkedFile f = s.change;
        if (f == null) {
            return;
        }
        try {
            OverlayFs.KernelCache kc = fs.kernelCache;
            if (s.changePending && kc != null) {
                for (Long node : f.nodes) {
                    if (node != s.requestNode) {
                        kc.dropDataLater(node);
                    }
                }
            }
        } finally {
            s.changePending = false;
            uncountChange(s); // a request that changed nothing after all (e.g. a failed write)
            s.change = null;
        }
    }

    /**
     * Before the reply to a request that changed only the attributes (mode, owner, times,
     * xattrs) of an upper file with several names: drops the other names' cached attributes
     * (no page lock is taken, so this is safe before any reply).
     */
    void attributesChanged(long ino) {
        LinkedFile f = linkedFiles.get(ino);
        OverlayFs.KernelCache kc = fs.kernelCache;
        if (f == null || kc == null) {
            return;
        }
        long self = scratch.get().requestNode;
        for (Long node : f.nodes) {
            if (node != self) {
                kc.dropAttributes(node);
            }
        }
    }

    /**
     * Drops the cached attributes of every node the kernel is known to hold file {@code ino} under,
     * before the reply to the link or unlink that changed its count: the entry invalidations that
     * follow the reply (for names whose node is not known) run on another thread, and a caller's
     * next lstat of another name must not see the old count meanwhile.
     */
    void dropLinkCounts(long ino) {
        LinkedFile f = linkedFiles.get(ino);
        OverlayFs.KernelCache kc = fs.kernelCache;
        if (f != null && kc != null) {
            for (long node : f.nodes) {
                kc.dropAttributes(node);
            }
        }
    }
}
