package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * What the request workers rely on when they read {@link NodeTable} without its lock while another
 * worker changes it: a path read is one the node really had (never half of a move), a path read
 * after a rename was seen to finish is the new one, and a node the reader holds a lookup on is
 * always found by its id. Stress tests: a broken table fails them often, a correct one never.
 */
class NodeTableConcurrencyTest {
    private static final long ROOT = NodeTable.ROOT;
    private static final int MOVES = 20_000;

    private final NodeTable t = new NodeTable();
    private final Queue<String> wrong = new ConcurrentLinkedQueue<>();

    /** Runs {@code writer} once and {@code reader} in two threads until the writer is done. */
    private void race(Runnable writer, Runnable reader) throws InterruptedException {
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(new Thread(() -> {
                while (!done.get() && wrong.isEmpty()) {
                    reader.run();
                }
            }));
        }
        threads.forEach(Thread::start);
        try {
            writer.run();
        } finally {
            done.set(true);
            for (Thread th : threads) {
                th.join();
            }
        }
        assertEquals(List.of(), new ArrayList<>(wrong).subList(0, Math.min(3, wrong.size())));
    }

    @Test
    void aPathReadWhileItsDirectoryMovesBetweenParentsIsOneItHad() throws InterruptedException {
        long e = t.lookedUp(ROOT, "e");
        long d = t.lookedUp(ROOT, "a");
        long f = t.lookedUp(d, "f");
        race(() -> {
            for (int i = 0; i < MOVES; i++) {
                t.renamed(ROOT, "a", e, "b");
                t.renamed(e, "b", ROOT, "a");
            }
        }, () -> {
            String p = t.pathOrNull(f);
            if (!"/a/f".equals(p) && !"/e/b/f".equals(p)) {
                wrong.add("path " + p);
            }
        });
    }

    @Test
    void aFilesPathReadWhileTheFileMovesIsOneItHad() throws InterruptedException {
        // a file's path is built without the lock from its parent and name: never one's parent with the other's name
        long a = t.lookedUp(ROOT, "a");
        long b = t.lookedUp(ROOT, "b");
        long f = t.lookedUp(a, "f");
        t.pathOrNull(a); // the directories' paths cached, as requests below them leave them
        t.pathOrNull(b);
        race(() -> {
            for (int i = 0; i < MOVES; i++) {
                t.renamed(a, "f", b, "g");
                t.pathOrNull(a);
                t.pathOrNull(b);
                t.renamed(b, "g", a, "f");
                t.pathOrNull(a);
                t.pathOrNull(b);
            }
        }, () -> {
            String p = t.pathOrNull(f);
            if (!"/a/f".equals(p) && !"/b/g".equals(p)) {
                wrong.add("path " + p);
            }
        });
    }

    @Test
    void aFileForgottenUnderTwoNamesNeverShowsAMixOfThem() throws InterruptedException {
        // the names of a hard-linked file's node go one by one, the next becoming its first
        long a = t.lookedUp(ROOT, "a");
        long b = t.lookedUp(ROOT, "b");
        t.pathOrNull(a);
        t.pathOrNull(b);
        AtomicLong current = new AtomicLong();
        race(() -> {
            for (int i = 0; i < MOVES; i++) {
                long f = t.lookedUp(a, "f", 4242, false);
                t.lookedUp(b, "g", 4242, false); // the same node: one upper inode
                current.set(f);
                t.pathOrNull(a);
                t.pathOrNull(b);
                t.forget(f, 2);
            }
        }, () -> {
            long id = current.get();
            String p = t.pathOrNull(id);
            if (p != null && !"/a/f".equals(p) && !"/b/g".equals(p)) {
                wrong.add("path " + p + " of node " + id);
            }
        });
    }

    @Test
    void aPathReadAfterARenameFinishedIsTheNewOne() throws InterruptedException {
        long d = t.lookedUp(ROOT, "n0");
        long f = t.lookedUp(d, "f");
        AtomicLong finished = new AtomicLong();
        race(() -> {
            for (int i = 1; i <= MOVES; i++) {
                t.renamed(ROOT, "n" + (i - 1), ROOT, "n" + i);
                finished.set(i);
            }
        }, () -> {
            long seen = finished.get();
            String p = t.path(f);
            long at = Long.parseLong(p.substring(2, p.length() - 2)); // "/nI/f"
            if (at < seen) {
                wrong.add(p + " after rename " + seen + " finished");
            }
        });
    }

    @Test
    void aNodeLookedUpIsFoundByIdUntilForgottenWhileOthersComeAndGo() throws InterruptedException {
        race(() -> {
            for (int i = 0; i < MOVES; i++) {
                long id = t.lookedUp(ROOT, "x");
                t.forget(id, 1);
            }
        }, () -> {
            long id = t.lookedUp(ROOT, "x");
            if (t.get(id) == null || !"/x".equals(t.pathOrNull(id))) {
                wrong.add("node " + id + " lost while looked up: " + t.pathOrNull(id));
            }
            t.forget(id, 1);
        });
    }
}
