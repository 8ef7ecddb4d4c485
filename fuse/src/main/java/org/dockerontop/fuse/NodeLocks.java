package org.dockerontop.fuse;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps a request that acts on a node through its path from meeting a rename or removal of that
 * node's name half way: the path is built, then used for a system call on the layers, and in
 * between the name may come to mean another file (a rename over it, an exchange, the hiding of an
 * unlinked open file), which the request would then open, change or pass through instead
 * (findings 30: EIO, ENXIO and opens of the wrong file with `bench/rename-race.py`).
 *
 * <p>A request on a node holds its read lock from building the path to the end of its filesystem
 * call; a rename, exchange, unlink or rmdir holds the write locks of the nodes whose names it
 * takes away, from finding them to updating the table, and the read locks of the directories it
 * names them in (whose paths it uses, and which nothing may move meanwhile). libfuse 2's
 * high-level API does this with its tree lock; the directories further above a request's node
 * are {@link DirectoryMoves}'s (a directory move takes its node locks after waiting there, so
 * that the wait holds no stripe). Striped by node id: two nodes may share a lock, which only makes
 * one wait (a stripe both read and written is written). A request takes its locks at once, in
 * stripe order, and takes no other stripe while it holds them, so no cycle can form; a worker
 * about to block on one leaves another free ({@link WorkerWaits}). A request that waits long with
 * its read lock (a copy-up's data copy) trades it for a {@link #pin} of its node meanwhile, so that
 * a name change of another node on the stripe need not wait for it; a name change of the pinned
 * node waits for the pin holding no lock, and the pinning request re-takes only its read lock,
 * holding nothing a name change waits for, so that adds no cycle either.
 */
final class NodeLocks {
    private static final int STRIPES = 256;
    private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];
    private final WorkerWaits waits;

    /** {@code waits}: what a worker does before it blocks on a lock another request holds. */
    NodeLocks(WorkerWaits waits) {
        this.waits = waits;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
    }

    private static int stripe(long id) {
        return (int) (id ^ (id >>> 32)) & (STRIPES - 1);
    }

    /** Takes the read lock of node {@code id}; the caller unlocks what it returns. */
    Lock read(long id) {
        Lock l = stripes[stripe(id)].readLock();
        waits.lock(l);
        return l;
    }

    /** Locks held together, released by {@link #close} in the reverse order. */
    static final class Held implements AutoCloseable {
        private final Lock[] locks;
        private int count;

        private Held(int capacity) {
            locks = new Lock[capacity];
        }

        @Override
        public void close() {
            while (count > 0) {
                locks[--count].unlock();
            }
        }
    }

    /** A node {@link #pin}ned by requests, and what they count down once none pins it. */
    private static final class Pin {
        int count;
        final java.util.concurrent.CountDownLatch gone = new java.util.concurrent.CountDownLatch(1);
    }

    private final java.util.concurrent.ConcurrentHashMap<Long, Pin> pins = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Pins node {@code id} for a long wait of a request holding its read lock (a copy-up's data
     * copy), which then gives that lock up: the stripe's other nodes' name changes need not wait
     * for it, while one of this node's waits in {@link #lock} until {@link #unpin}. Call while
     * holding the node's read lock (so no name change of it is under way); re-take it
     * ({@link #read}) before unpinning, so that none can slip in between.
     */
    void pin(long id) {
        pins.compute(id, (k, p) -> {
            Pin q = p == null ? new Pin() : p;
            q.count++;
            return q;
        });
    }

    /** Ends a {@link #pin}. */
    void unpin(long id) {
        pins.computeIfPresent(id, (k, p) -> {
            if (--p.count > 0) {
                return p;
            }
            p.gone.countDown();
            return null;
        });
    }

    /**
     * Takes the read locks of nodes {@code readA} and {@code readB} (0: none) and the write locks
     * of {@code writeA} and {@code writeB} (null: a name no node has), in stripe order. If a node
     * to be written is {@link #pin}ned, gives every lock back, waits for the pin and starts again.
     */
    Held lock(long readA, long readB, NodeTable.Node writeA, NodeTable.Node writeB) {
        while (true) {
            Held h = take(readA, readB, writeA, writeB);
            if (pins.isEmpty()) {
                return h;
            }
            // no pin can begin meanwhile: it is made under the node's read lock, excluded here
            Pin p = writeA == null ? null : pins.get(writeA.id);
            if (p == null && writeB != null) {
                p = pins.get(writeB.id);
            }
            if (p == null) {
                return h;
            }
            h.close();
            int n = waits.begin(2);
            try {
                Uninterruptibly.await(p.gone);
            } finally {
                waits.end(n);
            }
        }
    }

    private Held take(long readA, long readB, NodeTable.Node writeA, NodeTable.Node writeB) {
        // stripe * 2 + 1 for a write, so that sorting puts a stripe's write right after its read
        int[] want = new int[4];
        int n = 0;
        if (readA != 0) {
            want[n++] = stripe(readA) * 2;
        }
        if (readB != 0) {
            want[n++] = stripe(readB) * 2;
        }
        if (writeA != null) {
            want[n++] = stripe(writeA.id) * 2 + 1;
        }
        if (writeB != null) {
            want[n++] = stripe(writeB.id) * 2 + 1;
        }
        java.util.Arrays.sort(want, 0, n);
        Held h = new Held(n);
        try {
            for (int i = 0; i < n; i++) {
                int s = want[i] >> 1;
                if (i + 1 < n && want[i + 1] >> 1 == s) {
                    continue; // the same stripe again: taken once, written if either writes
                }
                ReentrantReadWriteLock l = stripes[s];
                Lock k = (want[i] & 1) != 0 ? l.writeLock() : l.readLock();
                waits.lock(k);
                h.locks[h.count++] = k;
            }
        } catch (RuntimeException | Error e) {
            h.close();
            throw e;
        }
        return h;
    }
}
