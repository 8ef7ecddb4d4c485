package org.dockerontop.fuse;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * Before a worker blocks on another request (a node lock, a directory move), makes sure another
 * worker stays free to read requests, as {@link KernelCacheDrops} does before a worker waits for
 * a cache drop, and with its permits ({@link OverlayFs.KernelCache#tryWait}, which starts one more
 * worker when they run out). Without it, a request waiting for a long one (a rename of a directory
 * under which a 1 GiB copy-up runs in an OPEN, and the lookups behind that rename's locks) took
 * the last worker and the whole mount stopped answering until the copy-up ended (findings 34).
 * Past {@link KernelCacheDrops#MAX_EXTRA_WORKERS} the wait goes on all the same: what it waits for
 * never waits for a worker, so the mount answers again once that ends.
 */
final class WorkerWaits {
    private final Supplier<OverlayFs.KernelCache> pool;

    /** {@code pool}: where the permits are (null, or null from it: none, and nothing is started). */
    WorkerWaits(Supplier<OverlayFs.KernelCache> pool) {
        this.pool = pool;
    }

    /**
     * A worker is about to block; {@code taken} workers are taken until it no longer does (two if
     * it waits for another request, which may be long, to end).
     *
     * @return what to pass to {@link #end}
     */
    int begin(int taken) {
        OverlayFs.KernelCache kc = pool == null ? null : pool.get();
        int n = 0;
        while (kc != null && n < taken && kc.tryWait()) {
            n++;
        }
        return n;
    }

    /** The wait {@link #begin} returned {@code n} for is over. */
    void end(int n) {
        for (int i = 0; i < n; i++) {
            pool.get().endWait();
        }
    }

    /**
     * Takes {@code l}: at once if it is free (a read lock not barging past a queued writer), else
     * after {@link #begin}, the lock's holder being another request that may be long.
     */
    void lock(Lock l) {
        try {
            if (l.tryLock(0, TimeUnit.NANOSECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // workers are not interrupted; block as below
        }
        int n = begin(2);
        try {
            l.lock();
        } finally {
            end(n);
        }
    }
}
