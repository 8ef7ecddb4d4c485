package org.dockerontop.fuse;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the kernel to drop cached directory entries, from a thread of its own.
 *
 * <p>For an entry invalidation the kernel takes the parent directory's lock, and that lock may be
 * held by a process whose request is waiting for a worker to answer it. Sent from the workers
 * themselves, once every worker was sending one the mount deadlocked (two workers, both in
 * fuse_reverse_inval_entry, seen in ParityRoundTripTest). From here it merely waits until a worker
 * has answered that request. Attribute-only inode invalidations take no such lock and stay in the
 * workers, where they can be done before the reply.
 */
final class EntryInvalidations {
    private static final Logger LOG = LoggerFactory.getLogger(EntryInvalidations.class);

    /** fuse_lowlevel_notify_inval_entry(ch, parent, name, namelen). */
    interface Sender {
        int send(long parent, Pointer name, long length);
    }

    private record Entry(long parent, byte[] name) {
    }

    private static final Entry STOP = new Entry(0, new byte[0]);

    private final LinkedBlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
    private final Sender sender;
    private final Thread thread;

    EntryInvalidations(Sender sender) {
        this.sender = sender;
        this.thread = new Thread(this::drain, "fuse-entry-invalidations");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the invalidation of {@code name} (bytes as on disk) under node {@code parent}. */
    void invalidate(long parent, byte[] name) {
        queue.add(new Entry(parent, name));
    }

    /** As {@link #invalidate(long, byte[])}, for a name held as a 1:1 byte string. */
    void invalidate(long parent, String name) {
        invalidate(parent, name.getBytes(StandardCharsets.ISO_8859_1));
    }

    private void drain() {
        while (true) {
            Entry e;
            try {
                e = queue.take();
            } catch (InterruptedException ex) {
                return;
            }
            if (e == STOP) {
                return;
            }
            Pointer n = Native.allocate(e.name().length + 1);
            n.put(0, e.name(), 0, e.name().length);
            n.putByte(e.name().length, (byte) 0);
            int r = sender.send(e.parent(), n, e.name().length);
            if (r != 0 && r != -Errno.ENOENT) {
                LOG.debug("dropping entry {} under node {}: {}", new String(e.name(), StandardCharsets.ISO_8859_1),
                        e.parent(), Errno.name(-r));
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
