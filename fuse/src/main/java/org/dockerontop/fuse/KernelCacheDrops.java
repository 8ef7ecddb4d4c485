package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops what the kernel caches for a node. Waiting for an inode's locked pages is allowed to
 * all workers but one, so that one is always left to answer the READs and WRITEs those pages
 * wait for; drops that may not wait in a worker go to the {@link LateNotifications} thread.
 *
 * <p>A drop that may not wait is done after the reply, and so too late for whoever made the
 * change: a write through one name of a hard-linked file returned while another name still
 * showed the old data or size (found by bench/hardlink-check.py with three checkers on one
 * mount, HardLinkConcurrencyRegressionTest). So when every worker but one is waiting, the
 * pool grows by one rather than leave the drop for later: the new worker is the one left
 * free. It stays for the mount's life, at most {@link #MAX_EXTRA_WORKERS} of them.
 */
final class KernelCacheDrops implements OverlayFs.KernelCache {
    private static final Logger LOG = LoggerFactory.getLogger(KernelCacheDrops.class);

    /**
     * Workers added beyond threads=: as many changes of hard-linked files at once as that
     * many more, each of which a worker would wait in (a request buffer of ~1 MiB each).
     */
    static final int MAX_EXTRA_WORKERS = 6;

    private final KernelNotifier ch;
    private final java.util.concurrent.Semaphore waiters;
    private final LateNotifications late;
    private volatile Runnable startWorker;
    /** Guarded by this. */
    private int extraWorkers;

    KernelCacheDrops(KernelNotifier ch, int workers, LateNotifications late) {
        this.ch = ch;
        this.waiters = new java.util.concurrent.Semaphore(Math.max(0, workers - 1));
        this.late = late;
    }

    /** How to start one more worker (once the mount serves); until then no worker may be added. */
    void startWorkersWith(Runnable start) {
        this.startWorker = start;
    }

    /** Offset 0, length 0: attributes and every cached page. */
    static int dropData(KernelNotifier ch, long node) {
        return ch.invalInode(node, 0, 0);
    }

    /** What the {@link LateNotifications} thread sends, through {@code ch}. */
    static LateNotifications.Sender lateSender(KernelNotifier ch) {
        return new LateNotifications.Sender() {
            @Override
            public int invalidateEntry(long parent, Pointer name, long length) {
                return ch.invalEntry(parent, name, length);
            }

            @Override
            public int dropData(long node) {
                return KernelCacheDrops.dropData(ch, node);
            }
        };
    }

    @Override
    public int dropAttributes(long node) {
        return ch.invalInode(node, -1, 0);
    }

    @Override
    public int dropData(long node) {
        return dropData(ch, node);
    }

    @Override
    public void dropDataLater(long node) {
        late.dropData(node);
    }

    @Override
    public boolean tryWait() {
        while (!waiters.tryAcquire()) {
            if (!addWorker()) {
                return false;
            }
        }
        return true;
    }

    /** Starts one more worker, and so allows one more to wait; false past the limit. */
    private synchronized boolean addWorker() {
        Runnable start = startWorker;
        if (start == null || extraWorkers >= MAX_EXTRA_WORKERS) {
            return false;
        }
        try {
            start.run();
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.warn("could not start another FUSE worker: {}", e.toString());
            startWorker = null;
            return false;
        }
        extraWorkers++;
        LOG.debug("started FUSE worker {} beyond threads=, so that one may wait for a cache drop", extraWorkers);
        waiters.release();
        return true;
    }

    @Override
    public void endWait() {
        waiters.release();
    }
}
