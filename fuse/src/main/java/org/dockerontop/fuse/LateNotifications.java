package org.dockerontop.fuse;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the kernel the cache invalidations that may wait for a kernel lock, from a thread of its
 * own, after the reply to the request that caused them.
 *
 * <p>For an entry invalidation the kernel takes the parent directory's lock; for dropping an
 * inode's pages, each locked page. Either may be held by a process whose request is waiting for a
 * worker to answer it. Sent from the workers themselves, once every worker was sending one the mount
 * deadlocked (two workers, both in fuse_reverse_inval_entry, seen in ParityRoundTripTest). From here
 * it merely waits until a worker has answered that request. Attribute-only inode invalidations take
 * no such lock and stay in the workers, where they can be done before the reply.
 */
final class LateNotifications {
    private static final Logger LOG = LoggerFactory.getLogger(LateNotifications.class);

    /** The libfuse calls this thread makes. */
    interface Sender {
        /** fuse_lowlevel_notify_inval_entry(ch, parent, name, namelen). */
        int invalidateEntry(long parent, Pointer name, long length);

        /** fuse_lowlevel_notify_inval_inode(ch, node, 0, 0): attributes and every cached page. */
        int dropData(long node);
    }

    /** An entry (name non-null) or a node's data (name null) to invalidate. */
    private record Notice(long id, byte[] name) {
    }

    private static final Notice STOP = new Notice(0, new byte[0]);

    private final LinkedBlockingQueue<Notice> queue = new LinkedBlockingQueue<>();
    /** Nodes whose data drop is queued: each at most once, so the queue stays bounded. */
    private final Set<Long> queuedDrops = ConcurrentHashMap.newKeySet();
    private final Sender sender;
    private final Thread thread;
    /**
     * The name being invalidated, NUL-terminated (NAME_MAX and its NUL; longer names the kernel
     * never gives us). One for the one thread that sends, rather than one per notice: native
     * memory goes back only when the garbage collector gets to it.
     */
    private final Pointer name = Native.allocate(256);

    LateNotifications(Sender sender) {
        this.sender = sender;
        this.thread = new Thread(this::drain, "fuse-late-notifications");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the invalidation of {@code name} (bytes as on disk) under node {@code parent}. */
    void invalidateEntry(long parent, byte[] name) {
        queue.add(new Notice(parent, name));
    }

    /** As {@link #invalidateEntry(long, byte[])}, for a name held as a 1:1 byte string. */
    void invalidateEntry(long parent, String name) {
        invalidateEntry(parent, name.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Queues dropping {@code node}'s cached attributes and pages (once, if already queued). */
    void dropData(long node) {
        if (queuedDrops.add(node)) {
            queue.add(new Notice(node, null));
        }
    }

    private void drain() {
        while (true) {
            Notice n;
            try {
                n = queue.take();
            } catch (InterruptedException ex) {
                return;
            }
            if (n == STOP) {
                return;
            }
            int r;
            if (n.name() == null) {
                // dequeued before the drop: a change made meanwhile queues the node again
                queuedDrops.remove(n.id());
                r = sender.dropData(n.id());
            } else {
                name.put(0, n.name(), 0, n.name().length);
                name.putByte(n.name().length, (byte) 0);
                r = sender.invalidateEntry(n.id(), name, n.name().length);
            }
            if (r != 0 && r != -Errno.ENOENT) {
                LOG.debug("invalidating {} of node {}: {}",
                        n.name() == null ? "the data" : new String(n.name(), StandardCharsets.ISO_8859_1), n.id(),
                        Errno.name(-r));
            }
        }
    }

    /** Stops the thread once the mount is gone (what is still queued is moot). @return true if it stopped */
    boolean stop() {
        queue.clear();
        queue.add(STOP);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
