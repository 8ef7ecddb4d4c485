package org.dockerontop.fuse;

import org.dockerontop.fuse.NodeTable.Node;

/**
 * {@link NodeTable}'s nodes by name (directory node id, name): a map in three parallel arrays with
 * linear probing, used only under the node table's lock.
 *
 * <p>Why not a {@code HashMap<Key, Node>}: a key object and a map entry cost ~55 bytes per name
 * (after a walk, per cached file), and every lookup made a key. Here a name costs at most two
 * slots of 16 bytes. Removal shifts the probe chain back instead of leaving markers, so the table
 * never fills with removed names.
 */
final class NodesByName {
    private static final int MIN_CAPACITY = 64;

    private long[] parents = new long[MIN_CAPACITY];
    private String[] names = new String[MIN_CAPACITY];
    /** Null: an empty slot. */
    private Node[] nodes = new Node[MIN_CAPACITY];
    private int size;

    /** The node named {@code name} in directory {@code parent}, or null. */
    Node get(long parent, String name) {
        int i = find(parent, name);
        return i < 0 ? null : nodes[i];
    }

    /** Names {@code n} {@code name} in {@code parent}, in place of any node named so. */
    void put(long parent, String name, Node n) {
        int i = find(parent, name);
        if (i >= 0) {
            nodes[i] = n;
            return;
        }
        if (size + 1 > nodes.length / 2) {
            resize(nodes.length * 2);
        }
        int mask = nodes.length - 1;
        i = slot(parent, name, mask);
        while (nodes[i] != null) {
            i = (i + 1) & mask;
        }
        parents[i] = parent;
        names[i] = name;
        nodes[i] = n;
        size++;
    }

    /** Takes the name away from whichever node has it: that node, or null. */
    Node remove(long parent, String name) {
        int i = find(parent, name);
        if (i < 0) {
            return null;
        }
        Node n = nodes[i];
        removeAt(i);
        return n;
    }

    /** Takes the name away if {@code n} has it. */
    void remove(long parent, String name, Node n) {
        int i = find(parent, name);
        if (i >= 0 && nodes[i] == n) {
            removeAt(i);
        }
    }

    private int find(long parent, String name) {
        int mask = nodes.length - 1;
        for (int i = slot(parent, name, mask); nodes[i] != null; i = (i + 1) & mask) {
            if (parents[i] == parent && names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Empties slot {@code i}, moving back the entries after it whose probe passed it. */
    private void removeAt(int i) {
        int mask = nodes.length - 1;
        int hole = i;
        for (int j = (i + 1) & mask; nodes[j] != null; j = (j + 1) & mask) {
            int home = slot(parents[j], names[j], mask);
            // j's entry may fill the hole if its home slot is not between the hole and j (cyclically)
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                parents[hole] = parents[j];
                names[hole] = names[j];
                nodes[hole] = nodes[j];
                hole = j;
            }
        }
        names[hole] = null;
        nodes[hole] = null;
        size--;
        if (size < nodes.length / 16 && nodes.length > MIN_CAPACITY) {
            resize(Math.max(MIN_CAPACITY, nodes.length / 4)); // a walk the kernel has forgotten should not keep its table's size
        }
    }

    private void resize(int capacity) {
        long[] oldParents = parents;
        String[] oldNames = names;
        Node[] oldNodes = nodes;
        parents = new long[capacity];
        names = new String[capacity];
        nodes = new Node[capacity];
        int mask = capacity - 1;
        for (int k = 0; k < oldNodes.length; k++) {
            if (oldNodes[k] != null) {
                int i = slot(oldParents[k], oldNames[k], mask);
                while (nodes[i] != null) {
                    i = (i + 1) & mask;
                }
                parents[i] = oldParents[k];
                names[i] = oldNames[k];
                nodes[i] = oldNodes[k];
            }
        }
    }

    private static int slot(long parent, String name, int mask) {
        return (int) (((parent * 31 + name.hashCode()) * 0x9E3779B97F4A7C15L) >>> 32) & mask;
    }
}
