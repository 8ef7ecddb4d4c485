package org.dockerontop.fuse;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps a rename, exchange or removal of a directory from changing what a request's path names
 * while the request uses it: the request builds the path of its node (for a request by name, the
 * directory's) from the {@link NodeTable}, then acts on the layers by that path, and a directory
 * above the node renamed in between, or swapped with another, makes the path name nothing (ENOENT
 * for a file that exists) or the other directory's file, which the request would then open, read,
 * write or chmod (findings 34: `bench/rename-race.py dirswap`). libfuse 2's tree lock read-locks
 * every node of a request's path; {@link NodeLocks} covers a request's own node and the names a
 * rename changes, and this the directories above.
 *
 * <p>Requests are many and directory moves are rare, so a request only says which nodes' paths it
 * uses, in its worker's {@link Slot} (two volatile writes and two volatile reads, no shared cache
 * line written), and looks whether a directory move is under way; a move, one at a time, says so,
 * then waits for every request that had already begun under the moved directories, and requests
 * beginning under them meanwhile wait for the move. Requests elsewhere never wait, so a long
 * request (a copy-up of a large file in an OPEN) stalls only moves of the directories above it
 * and the requests below those. Whether a rename moves a directory with nodes under it is the
 * table's to say ({@link NodeTable#hasChildren}); a rename of anything else moves no path but its
 * own node's, which {@link NodeLocks} covers.
 *
 * <p>Lock order: a request takes {@link NodeLocks}, then its slot; a move takes the
 * {@link #moving} lock, its slot, waits for the requests on and below its nodes, then takes its
 * node locks (so that the wait holds no stripe that unrelated nodes share). A request waits for a
 * move only after giving its node locks back; a move waits only for requests that hold their
 * slot, which wait for nothing here, and then for node locks, whose holders either end or give
 * them back (those on or below the moved nodes see the move). A wait leaves a worker free to
 * answer the others ({@link WorkerWaits}).
 */
final class DirectoryMoves {
    /** What one worker's request is using: the nodes whose paths it acts on. */
    static final class Slot {
        /** Odd while the request holds the slot; its nodes are written only while it is even. */
        private volatile int generation;
        /** Written before {@link #generation} (which publishes them), read between two reads of it. */
        private long first;
        private long second;
    }

    /** A directory move under way: the nodes whose names it changes. */
    static final class Move {
        final NodeTable.Node a;
        final NodeTable.Node b;

        private Move(NodeTable.Node a, NodeTable.Node b) {
            this.a = a;
            this.b = b;
        }
    }

    private final NodeTable nodes;
    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    /** One directory move at a time. */
    private final ReentrantLock moving = new ReentrantLock();
    /** The move under way, or null. */
    private volatile Move current;
    /** Threads in {@link #await}: only then does ending a request or a move notify. */
    private volatile int waiting;
    private final Object changed = new Object();
    private final WorkerWaits waits;

    DirectoryMoves(NodeTable nodes, WorkerWaits waits) {
        this.nodes = nodes;
        this.waits = waits;
    }

    /** A slot for one more worker. */
    Slot slot() {
        Slot s = new Slot();
        slots.add(s);
        return s;
    }

    /**
     * Says that the request of slot {@code s} uses the paths of nodes {@code first} and
     * {@code second} (0: none), unless a directory move above either is under way.
     *
     * @return null once the request holds the slot (no directory above its nodes moves until
     *         {@link #leave}); else the move to {@link #await} before trying again, the slot left
     */
    Move enter(Slot s, long first, long second) {
        int g = s.generation;
        s.first = first;
        s.second = second;
        s.generation = g + 1;
        Move m = current; // read after the slot is written: a move either sees the slot or is seen here
        if (m == null || !(nodes.isOnPath(first, m.a, m.b) || (second != 0 && nodes.isOnPath(second, m.a, m.b)))) {
            return null;
        }
        leave(s);
        return m;
    }

    /** The request of slot {@code s} no longer uses its paths. */
    void leave(Slot s) {
        s.generation = s.generation + 1;
        if (waiting > 0) {
            synchronized (changed) {
                changed.notifyAll();
            }
        }
    }

    /** Waits until move {@code m} has ended. */
    void await(Move m) {
        await(() -> current != m, 1);
    }

    /** Would a rename of {@code a} and {@code b} (either may be null) move other nodes' paths? */
    boolean isMove(NodeTable.Node a, NodeTable.Node b) {
        return nodes.hasChildren(a, b);
    }

    /**
     * Begins a move of {@code a} and {@code b} (either may be null) if either is a directory with
     * nodes under it: the caller then {@link #enter}s its slot (which succeeds: no other move is
     * under way), {@link #drain}s, and only then takes their {@link NodeLocks}. If not, the
     * caller takes the node locks and asks {@link #isMove} again, since a node may have been named
     * in them meanwhile (under their write locks none can be).
     *
     * @return the move, to be {@link #end}ed; null if it moves no other node's path
     */
    Move begin(NodeTable.Node a, NodeTable.Node b) {
        if (!nodes.hasChildren(a, b)) {
            return null;
        }
        // held by a move that may wait for a long request
        waits.lock(moving);
        return new Move(a, b);
    }

    /**
     * Announces move {@code m} and waits until no request but the caller's ({@code own}) uses a
     * path through its nodes; requests beginning under them wait for {@link #end}.
     */
    void drain(Move m, Slot own) {
        current = m;
        for (Slot s : slots) {
            if (s == own) {
                continue;
            }
            while (true) {
                int g = s.generation;
                if ((g & 1) == 0) {
                    break;
                }
                long first = s.first;
                long second = s.second;
                java.lang.invoke.VarHandle.acquireFence(); // the two reads above come before the check below
                if (s.generation != g) {
                    continue; // its request ended meanwhile: look again
                }
                if (!nodes.isOnPath(first, m.a, m.b) && (second == 0 || !nodes.isOnPath(second, m.a, m.b))) {
                    break;
                }
                // that request may be long (a copy-up in an OPEN): two workers are taken, not one
                await(() -> s.generation != g, 2);
            }
        }
    }

    /** Ends move {@code m} (from {@link #begin}, null: nothing), once the table has its new names. */
    void end(Move m) {
        if (m == null) {
            return;
        }
        current = null;
        moving.unlock();
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    /** Waits until {@code done}, having let the pool know that {@code taken} workers are taken meanwhile. */
    private void await(java.util.function.BooleanSupplier done, int taken) {
        if (done.getAsBoolean()) {
            return;
        }
        int free = waits.begin(taken);
        boolean interrupted = false;
        try {
            synchronized (changed) {
                waiting++;
                try {
                    while (!done.getAsBoolean()) {
                        try {
                            // notified by leave and end; the timeout only bounds a missed notification
                            changed.wait(10);
                        } catch (InterruptedException e) {
                            interrupted = true; // the wait is what keeps the paths right: it goes on
                        }
                    }
                } finally {
                    waiting--;
                }
            }
        } finally {
            waits.end(free);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
