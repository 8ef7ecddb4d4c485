package org.dockerontop.fuse;

import java.util.HashMap;
import java.util.Map;

/**
 * RESEARCH PROTOTYPE (findings section 24), not part of the product: the node table a FUSE server
 * keeps when it reads /dev/fuse itself instead of letting libfuse's high-level API keep one.
 * A node is (parent, name, lookup count); its path relative to the layer is built from the
 * parents on demand, as libfuse's {@code get_path} does, so that a rename would only have to move
 * one node. Node ids are handed out from a counter and reused for the same (parent, name) while
 * the kernel holds a lookup on it. One lock for the table, as libfuse has.
 */
final class ProtoNodes {
    static final long ROOT = 1;

    static final class Node {
        final long id;
        final Node parent;
        final String name; // a byte string (one char per byte), as the product's paths are
        long lookups;
        /** Overlay emulation: whether this directory exists in the (empty) upper layer too. */
        boolean inUpper;

        Node(long id, Node parent, String name) {
            this.id = id;
            this.parent = parent;
            this.name = name;
        }
    }

    /** A plain class, not a record: a record's hashCode is bootstrapped through invokedynamic (findings 19). */
    private static final class Key {
        final long parent;
        final String name;

        Key(long parent, String name) {
            this.parent = parent;
            this.name = name;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.parent == parent && k.name.equals(name);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(parent) * 31 + name.hashCode();
        }
    }

    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<Key, Node> byName = new HashMap<>();
    private long next = ROOT + 1;

    ProtoNodes() {
        Node root = new Node(ROOT, null, "");
        root.lookups = 1;
        root.inUpper = true;
        byId.put(ROOT, root);
    }

    synchronized Node get(long id) {
        return byId.get(id);
    }

    /** The node for {@code name} in {@code parent}, created if need be, with one more lookup counted. */
    synchronized Node lookedUp(Node parent, String name) {
        Key k = new Key(parent.id, name);
        Node n = byName.get(k);
        if (n == null) {
            n = new Node(next++, parent, name);
            byId.put(n.id, n);
            byName.put(k, n);
        }
        n.lookups++;
        return n;
    }

    /** FORGET: drops the node once the kernel holds no lookup on it. */
    synchronized void forget(long id, long count) {
        Node n = byId.get(id);
        if (n == null || id == ROOT) {
            return;
        }
        n.lookups -= count;
        if (n.lookups <= 0) {
            byId.remove(id);
            byName.remove(new Key(n.parent.id, n.name));
        }
    }

    synchronized int size() {
        return byId.size();
    }

    /** The node's path relative to the layer directory ("." for the root). */
    static String path(Node n) {
        if (n.parent == null) {
            return ".";
        }
        if (n.parent.parent == null) {
            return n.name;
        }
        // the length first, then the names from the end backwards into one array
        int len = 0;
        for (Node p = n; p.parent != null; p = p.parent) {
            len += p.name.length() + 1;
        }
        char[] out = new char[len - 1];
        int end = out.length;
        for (Node p = n; p.parent != null; p = p.parent) {
            int l = p.name.length();
            p.name.getChars(0, l, out, end - l);
            end -= l;
            if (end > 0) {
                out[--end] = '/';
            }
        }
        return new String(out);
    }

    /** {@code parent}'s path joined with {@code name}. */
    static String child(Node parent, String name) {
        return parent.parent == null ? name : path(parent) + "/" + name;
    }
}
