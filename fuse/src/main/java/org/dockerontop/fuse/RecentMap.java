package org.dockerontop.fuse;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A concurrent map that keeps only its most recent entries: between {@code generation} and twice
 * that many. Entries go into the current generation; once it is full it becomes the previous one and
 * the generation before it is dropped whole. What the server remembers per looked-up directory or
 * per upper file must not grow with the size of the volume (the heap is 96 MiB; a walk of a base
 * with half a million directories would otherwise fill it), and what it remembers is either a cache
 * or, for the kernel's cached attributes, only needed for as long as the kernel keeps them (60 s),
 * which an entry overtaken by a whole generation of newer ones has usually outlived.
 */
final class RecentMap<K, V> {
    private final int generation;
    private volatile ConcurrentHashMap<K, V> current = new ConcurrentHashMap<>();
    private volatile ConcurrentHashMap<K, V> previous = new ConcurrentHashMap<>();

    RecentMap(int generation) {
        this.generation = generation;
    }

    V get(K key) {
        V v = current.get(key);
        return v != null ? v : previous.get(key);
    }

    void put(K key, V value) {
        ConcurrentHashMap<K, V> c = current;
        if (c.size() >= generation) {
            c = rotate(c);
        }
        previous.remove(key); // first: a rotation in between then leaves the new value in previous
        c.put(key, value);
    }

    /** Removes {@code key}. @return its value, or null */
    V remove(K key) {
        V v = current.remove(key);
        V p = previous.remove(key);
        return v != null ? v : p;
    }

    boolean isEmpty() {
        return current.isEmpty() && previous.isEmpty();
    }

    /** Entries held now, at most twice the generation (plus what concurrent puts add meanwhile). */
    int size() {
        return current.size() + previous.size();
    }

    private synchronized ConcurrentHashMap<K, V> rotate(ConcurrentHashMap<K, V> full) {
        if (current == full) {
            previous = full;
            current = new ConcurrentHashMap<>();
        }
        return current;
    }
}
