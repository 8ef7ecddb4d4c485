package org.dockerontop.fuse;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.dockerontop.overlay.nativeio.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link NodeTable} near a limit by asking the kernel to forget nodes nothing uses.
 *
 * <p>The kernel decides how long it keeps a node: as long as a dentry of it is cached, which on a
 * host with free memory is for ever. Every node the kernel keeps costs the server ~300 bytes of
 * heap, so a walk of a few hundred thousand files ({@code ls -l}, {@code find}, {@code git
 * status}) used to fill the server's heap until it failed with OutOfMemoryError and the mount
 * stopped answering. Above the limit this thread sends {@code FUSE_NOTIFY_PRUNE} (Linux 6.18+)
 * with the ids of nodes not used since its last sweep ({@link NodeTable#coldNodes}): the kernel
 * drops the dentries of those that no process holds (never an open file, a working directory or
 * a dentry in use) and sends FORGET for them, and a later access looks the name up again.
 *
 * <p>An older kernel refuses that notification. Then cold non-directories that are not open get
 * a {@code FUSE_NOTIFY_INVAL_ENTRY} per name instead, which drops a dentry even if it is in use:
 * harmless for a file nothing has open (a stat in flight finishes; the next one looks it up), but
 * it would make a process's working directory unreachable ({@code getcwd} fails), so directories
 * are never invalidated: they stay, as every node did before.
 */
final class NodePruner {
    private static final Logger LOG = LoggerFactory.getLogger(NodePruner.class);

    /** The two notifications it sends (see {@link JavaLoop.DeviceNotifier}). */
    interface Sender {
        /** One FUSE_NOTIFY_PRUNE of {@code count} ids from {@code ids}: 0, or -errno (-EINVAL: not known to this kernel). */
        int prune(long[] ids, int count);

        /** One FUSE_NOTIFY_INVAL_ENTRY of {@code name} (a byte string) in node {@code parent}: 0, or -errno. */
        int invalEntry(long parent, String name);
    }

    /** The kernel takes the ids of one notification in batches of 512; one write's worth of them. */
    private static final int BATCH = 4096;

    private final NodeTable nodes;
    private final Sender sender;
    private final int limit;
    private final int target;
    private final AtomicBoolean signalled = new AtomicBoolean();
    /** The kernel refused FUSE_NOTIFY_PRUNE: files are invalidated by name instead. */
    private boolean byEntry;
    private final long[] parents = new long[16];
    private final String[] names = new String[16];
    private volatile boolean stopped;
    private volatile Thread thread;

    /**
     * @param limit the most nodes to keep before pruning; pruning then goes down to three quarters
     *        of it, so that it runs in rounds rather than on every new node
     */
    NodePruner(NodeTable nodes, Sender sender, int limit) {
        this.nodes = nodes;
        this.sender = sender;
        this.limit = limit;
        this.target = limit - limit / 4;
    }

    /**
     * The default limit for a heap of {@code maxHeap} bytes: about half of it for nodes, at ~300
     * bytes each (measured: 151,500 nodes of a tree of 100-file directories took the server from
     * 60 to 100 MB RSS), the rest for listings, buffers and the collector's headroom.
     */
    static int defaultLimit(long maxHeap) {
        return (int) Math.max(10_000, Math.min(Integer.MAX_VALUE, maxHeap / 600));
    }

    /** Starts the pruning thread and hooks it to the table. */
    void start() {
        Thread t = new Thread(this::run, "fuse-node-pruner");
        t.setDaemon(true);
        thread = t;
        nodes.limit(limit, this::wake);
        t.start();
    }

    /** Ends the thread (at unmount). */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Called under the table's lock when it grows above the limit: only signals. */
    private void wake() {
        if (signalled.compareAndSet(false, true)) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        long[] ids = new long[BATCH];
        while (!stopped) {
            if (!signalled.get()) {
                LockSupport.park(this);
                continue;
            }
            boolean progress = prune(ids);
            // cleared before the size is read again, so that a node made meanwhile either shows
            // in it or signals anew (wake): no round is lost while the table is above its limit
            signalled.set(false);
            if (nodes.size() > limit) {
                if (!progress) {
                    // nothing could go (every node in use): try again later rather than at once
                    LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1));
                }
                signalled.set(true);
            }
        }
    }

    /**
     * Prunes until the table is at {@link #target} or three sweeps in a row let no node go.
     *
     * @return whether any node went
     */
    private boolean prune(long[] ids) {
        int from = nodes.size();
        long madeFrom = nodes.made();
        int sweepsWithoutProgress = 0;
        while (!stopped && nodes.size() > target && sweepsWithoutProgress < 3) {
            long gone = gone(from, madeFrom);
            int n = nodes.coldNodes(ids, byEntry);
            if (n > 0 && !byEntry) {
                int rc = sender.prune(ids, n);
                if (rc == -Errno.EINVAL || rc == -Errno.ENOSYS) {
                    LOG.info("the kernel cannot prune nodes (FUSE_NOTIFY_PRUNE needs Linux 6.18): invalidating "
                            + "files by name instead; directories stay");
                    byEntry = true;
                    continue;
                }
                if (rc < 0 && rc != -Errno.ENOENT) {
                    LOG.warn("pruning {} nodes failed: {}", n, Errno.name(-rc));
                    return false;
                }
            } else if (n > 0) {
                invalidate(ids, n);
            }
            // the FORGETs come back through the workers: give them a moment
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(20));
            sweepsWithoutProgress = gone(from, madeFrom) > gone ? 0 : sweepsWithoutProgress + 1;
        }
        // one line per round, a round per quarter of the limit grown: says why files get looked up again
        LOG.info("node table pruned from {} to {} nodes (maxnodes={})", from, nodes.size(), limit);
        return gone(from, madeFrom) > 0;
    }

    /** Nodes that went since the table had {@code from} nodes and {@code madeFrom} had been made (new ones do not hide them). */
    private long gone(int from, long madeFrom) {
        return from + (nodes.made() - madeFrom) - nodes.size();
    }

    /** Invalidates every name of the nodes {@code ids} (cold files: see the class comment). */
    private void invalidate(long[] ids, int n) {
        for (int i = 0; i < n && !stopped; i++) {
            int k = nodes.namesOf(ids[i], parents, names);
            for (int j = 0; j < k; j++) {
                int rc = sender.invalEntry(parents[j], names[j]);
                if (rc < 0 && rc != -Errno.ENOENT && rc != -Errno.ENOTDIR) {
                    LOG.warn("invalidating a name of node {} failed: {}", ids[i], Errno.name(-rc));
                    return;
                }
            }
        }
    }
}
