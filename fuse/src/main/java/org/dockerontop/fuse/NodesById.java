package org.dockerontop.fuse;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.NoSuchElementException;

import org.dockerontop.fuse.NodeTable.Node;

/**
 * {@link NodeTable}'s nodes by id: an open-addressing table of the nodes themselves, read without a
 * lock by every request, changed only under the node table's lock.
 *
 * <p>Why not a {@code ConcurrentHashMap<Long, Node>}: it costs a map entry and a boxed id per node
 * (about 50 bytes, a fifth of a cached file's heap), and under C1, which does no escape analysis,
 * boxes the id again on every request. Here a node costs one to two array slots.
 *
 * <p>Readers see a consistent table because writers never move a node within an array: an insert
 * fills an empty slot (release), a removal overwrites the node with {@link #GONE} (release), and a
 * rehash fills a new array that is published whole (volatile). A reader still on an older array
 * finds what was there when it read the array, as if its lookup had come first. The table is kept
 * at most half used (nodes and {@code GONE}s), so every probe ends at an empty slot.
 */
final class NodesById implements Iterable<Node> {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Node[].class);
    /** A removed node's slot: probes go on past it. Id 0 is no node's (the kernel never sends it). */
    private static final Node GONE = new Node(0, null, null, false);
    private static final int MIN_CAPACITY = 64;

    private volatile Node[] slots = new Node[MIN_CAPACITY];
    /** Slots holding a node or {@link #GONE}; under the lock. */
    private int used;
    /** Slots holding a node; under the lock. */
    private int live;

    /** The node with id {@code id}, or null. Takes no lock. */
    Node get(long id) {
        Node[] s = slots;
        int mask = s.length - 1;
        for (int i = slot(id, mask); ; i = (i + 1) & mask) {
            Node n = (Node) SLOT.getAcquire(s, i);
            if (n == null) {
                return null;
            }
            if (n.id == id && n != GONE) {
                return n;
            }
        }
    }

    /** Adds {@code n}, whose id is not in the table. Under the node table's lock. */
    void add(Node n) {
        if (used + 1 > slots.length / 2) {
            rehash(live + 1);
        }
        Node[] s = slots;
        int mask = s.length - 1;
        int i = slot(n.id, mask);
        while (s[i] != null) {
            i = (i + 1) & mask; // GONE slots are not reused: a reader may be probing past them for this id
        }
        SLOT.setRelease(s, i, n);
        used++;
        live++;
    }

    /** Removes {@code n}: true if it was in the table. Under the node table's lock. */
    boolean remove(Node n) {
        Node[] s = slots;
        int mask = s.length - 1;
        for (int i = slot(n.id, mask); s[i] != null; i = (i + 1) & mask) {
            if (s[i] == n) {
                SLOT.setRelease(s, i, GONE);
                live--;
                if (live < s.length / 16 && s.length > MIN_CAPACITY) {
                    rehash(live); // a walk the kernel has forgotten should not keep its table's size
                }
                return true;
            }
        }
        return false;
    }

    /** The nodes, read without a lock: one added or removed meanwhile may be missed or seen. */
    @Override
    public Iterator<Node> iterator() {
        Node[] s = slots;
        return new Iterator<>() {
            private int i = -1;
            private Node next = advance();

            private Node advance() {
                while (++i < s.length) {
                    Node n = (Node) SLOT.getAcquire(s, i);
                    if (n != null && n != GONE) {
                        return n;
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Node next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                Node n = next;
                next = advance();
                return n;
            }
        };
    }

    /** A new array for {@code count} nodes at most a quarter full, published whole. */
    private void rehash(int count) {
        int capacity = MIN_CAPACITY;
        while (capacity < count * 4) {
            capacity <<= 1;
        }
        Node[] fresh = new Node[capacity];
        int mask = capacity - 1;
        for (Node n : slots) {
            if (n != null && n != GONE) {
                int i = slot(n.id, mask);
                while (fresh[i] != null) {
                    i = (i + 1) & mask;
                }
                fresh[i] = n;
            }
        }
        used = live;
        slots = fresh; // volatile: the array is complete before a reader can see it
    }

    /** Ids come from a counter: Fibonacci hashing spreads consecutive ones over the table. */
    private static int slot(long id, int mask) {
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> 32) & mask;
    }
}
