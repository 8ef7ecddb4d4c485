package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import org.dockerontop.fuse.NodeTable.Node;
import org.junit.jupiter.api.Test;

/** {@link NodesById}: a map by id through growth, removal and shrinking, and its lock-free reads. */
class NodesByIdTest {
    private final NodesById t = new NodesById();

    private static Node node(long id) {
        return new Node(id, null, "n" + id, false);
    }

    @Test
    void findsWhatWasAddedUntilItIsRemovedThroughGrowthAndShrinking() {
        List<Node> nodes = new ArrayList<>();
        for (long id = 1; id <= 100_000; id++) {
            Node n = node(id);
            nodes.add(n);
            t.add(n);
        }
        for (Node n : nodes) {
            assertSame(n, t.get(n.id));
        }
        assertNull(t.get(0), "id 0 is no node's, not even a removed slot's");
        assertNull(t.get(100_001));
        // remove all but every 1000th: the table shrinks, the rest stays found
        for (Node n : nodes) {
            if (n.id % 1000 != 0) {
                assertTrue(t.remove(n));
            }
        }
        for (Node n : nodes) {
            if (n.id % 1000 == 0) {
                assertSame(n, t.get(n.id));
            } else {
                assertNull(t.get(n.id), "removed " + n.id);
                assertFalse(t.remove(n));
            }
        }
        Set<Long> seen = new HashSet<>();
        for (Node n : t) {
            assertTrue(seen.add(n.id));
        }
        assertEquals(100, seen.size());
    }

    @Test
    void manyAddsAndRemovesAtASteadySizeDoNotFillTheTable() {
        // removed slots are not reused in place: the table must rehash them away, not probe forever
        List<Node> live = new ArrayList<>();
        long next = 1;
        for (int i = 0; i < 1000; i++) {
            Node n = node(next++);
            live.add(n);
            t.add(n);
        }
        for (int round = 0; round < 200_000; round++) {
            Node gone = live.remove(round % live.size());
            assertTrue(t.remove(gone));
            Node n = node(next++);
            live.add(n);
            t.add(n);
        }
        for (Node n : live) {
            assertSame(n, t.get(n.id));
        }
        assertNull(t.get(1));
    }

    @Test
    void aReaderAlwaysFindsANodeThatStaysWhileOthersComeAndGo() throws InterruptedException {
        // as request workers read a held node while lookups, forgets and rehashes change the table
        List<Node> kept = new ArrayList<>();
        for (long id = 1; id <= 50; id++) {
            Node n = node(id * 1_000_000);
            kept.add(n);
            t.add(n);
        }
        Queue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(new Thread(() -> {
                while (!done.get() && wrong.isEmpty()) {
                    for (Node n : kept) {
                        if (t.get(n.id) != n) {
                            wrong.add("node " + n.id + " not found");
                        }
                    }
                }
            }));
        }
        readers.forEach(Thread::start);
        try {
            long next = 1;
            List<Node> churn = new ArrayList<>();
            for (int round = 0; round < 300 && wrong.isEmpty(); round++) {
                // grow past several rehashes, then shrink back
                for (int i = 0; i < 2000; i++) {
                    Node n = node(next++);
                    churn.add(n);
                    synchronized (t) {
                        t.add(n);
                    }
                }
                for (Node n : churn) {
                    synchronized (t) {
                        t.remove(n);
                    }
                }
                churn.clear();
            }
        } finally {
            done.set(true);
            for (Thread th : readers) {
                th.join();
            }
        }
        assertEquals(List.of(), new ArrayList<>(wrong).subList(0, Math.min(3, wrong.size())));
    }
}
