package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.dockerontop.overlay.nativeio.Errno;
import org.junit.jupiter.api.Test;

/**
 * {@link NodePruner} on a kernel that refuses FUSE_NOTIFY_PRUNE (before 6.18; this machine's kernel
 * has it, so {@link NodePruningTest} covers that path on a real mount): cold files are then
 * invalidated by name, and directories and open files never. The kernel here is a stand-in that
 * refuses the notification and gives back the lookups of each name invalidated, as FORGET does.
 */
class NodePrunerTest {
    private final NodeTable t = new NodeTable();
    private final List<String> invalidated = new CopyOnWriteArrayList<>();
    private volatile int prunes;

    private final NodePruner.Sender oldKernel = new NodePruner.Sender() {
        @Override
        public int prune(long[] ids, int count) {
            prunes++;
            return -Errno.EINVAL;
        }

        @Override
        public int invalEntry(long parent, String name) {
            invalidated.add(parent + "/" + name);
            NodeTable.Node n = t.find(parent, name);
            if (n != null) {
                t.forget(n.id, n.lookups);
            }
            return 0;
        }
    };

    @Test
    void withoutPruneColdFilesAreInvalidatedByNameAndDirectoriesAndOpenFilesStay() throws Exception {
        long d = t.lookedUp(NodeTable.ROOT, "d", 0, true);
        long e = t.lookedUp(NodeTable.ROOT, "e", 0, true); // a directory with nothing known in it
        long open = t.lookedUp(d, "open");
        t.opened(open);
        NodePruner p = new NodePruner(t, oldKernel, 100);
        p.start();
        try {
            for (int i = 0; i < 200; i++) {
                t.lookedUp(d, "f" + i);
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (t.size() > 75 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(t.size() <= 75, "table: " + t.size());
            assertEquals(1, prunes); // refused once, then never asked again
            assertFalse(invalidated.contains(NodeTable.ROOT + "/d"));
            assertFalse(invalidated.contains(NodeTable.ROOT + "/e"));
            assertFalse(invalidated.contains(d + "/open"));
            assertTrue(t.get(d) != null && t.get(e) != null && t.get(open) != null);
            assertEquals(invalidated.size(), new java.util.HashSet<>(invalidated).size(), "each name once");
        } finally {
            p.stop();
        }
    }
}
