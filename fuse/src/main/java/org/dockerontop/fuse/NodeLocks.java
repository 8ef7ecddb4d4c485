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
 * takes away, from finding them to updating the table. libfuse 2's high-level API does this with
 * its tree lock; this covers the request's own node (for a request by name, the directory),
 * not the directories above it. Striped by node id: two nodes may share a lock, which only makes
 * one wait; a request holds one read lock or up to two write locks taken in stripe order, and
 * nothing is locked inside, so no cycle can form.
 */
final class NodeLocks {
    private static final int STRIPES = 256;
    private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];

    NodeLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
    }

    private int stripe(long id) {
        return (int) (id ^ (id >>> 32)) & (STRIPES - 1);
    }

    /** Takes the read lock of node {@code id}; the caller unlocks what it returns. */
    Lock read(long id) {
        Lock l = stripes[stripe(id)].readLock();
        l.lock();
        return l;
    }

    /** The write locks of one or two nodes, taken in stripe order. */
    final class Writing implements AutoCloseable {
        private final Lock first;
        private final Lock second;

        private Writing(NodeTable.Node a, NodeTable.Node b) {
            int sa = a == null ? -1 : stripe(a.id);
            int sb = b == null ? -1 : stripe(b.id);
            if (sa == sb) {
                sb = -1;
            }
            int lo = Math.min(sa, sb);
            int hi = Math.max(sa, sb);
            first = lo >= 0 ? stripes[lo].writeLock() : null;
            second = hi >= 0 ? stripes[hi].writeLock() : null;
            if (first != null) {
                first.lock();
            }
            if (second != null) {
                second.lock();
            }
        }

        @Override
        public void close() {
            if (second != null) {
                second.unlock();
            }
            if (first != null) {
                first.unlock();
            }
        }
    }

    /** Takes the write locks of {@code a} and {@code b} (either may be null: a name no node has). */
    Writing write(NodeTable.Node a, NodeTable.Node b) {
        return new Writing(a, b);
    }
}
