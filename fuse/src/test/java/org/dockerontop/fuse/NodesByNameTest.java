package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.dockerontop.fuse.NodeTable.Node;
import org.junit.jupiter.api.Test;

/** {@link NodesByName} against a {@link HashMap} doing the same: every answer the same, through growth, removal and shrinking. */
class NodesByNameTest {
    private final NodesByName t = new NodesByName();
    private final Map<String, Node> expected = new HashMap<>();

    private static String key(long parent, String name) {
        return parent + "/" + name;
    }

    @Test
    void answersAsAMapWouldThroughRandomPutsAndRemoves() {
        Random r = new Random(42);
        long nextId = 2;
        // few directories and names: many collisions, long probe chains, removals inside them
        for (int op = 0; op < 400_000; op++) {
            long parent = 1 + r.nextInt(40);
            String name = "f" + r.nextInt(op < 200_000 ? 3000 : 300); // grows, then mostly shrinks
            String k = key(parent, name);
            switch (r.nextInt(4)) {
                case 0, 1 -> {
                    Node n = new Node(nextId++, null, name, false);
                    t.put(parent, name, n);
                    expected.put(k, n);
                }
                case 2 -> assertSame(expected.remove(k), t.remove(parent, name), k);
                default -> {
                    Node n = expected.get(k);
                    Node other = new Node(nextId++, null, name, false);
                    t.remove(parent, name, other); // not its node: stays
                    assertSame(n, t.get(parent, name), k);
                    if (n != null && r.nextBoolean()) {
                        t.remove(parent, name, n);
                        expected.remove(k);
                    }
                }
            }
            if (op % 10_000 == 0) {
                checkAll();
            }
        }
        checkAll();
        for (String k : Map.copyOf(expected).keySet()) {
            int slash = k.indexOf('/');
            t.remove(Long.parseLong(k.substring(0, slash)), k.substring(slash + 1));
        }
        expected.clear();
        assertNull(t.get(1, "f1"));
    }

    private void checkAll() {
        for (Map.Entry<String, Node> e : expected.entrySet()) {
            int slash = e.getKey().indexOf('/');
            assertSame(e.getValue(), t.get(Long.parseLong(e.getKey().substring(0, slash)), e.getKey().substring(slash + 1)),
                    e.getKey());
        }
        for (long parent = 1; parent <= 40; parent++) {
            for (int i = 0; i < 3000; i += 97) {
                String name = "f" + i;
                assertSame(expected.get(key(parent, name)), t.get(parent, name), key(parent, name));
            }
        }
    }
}
