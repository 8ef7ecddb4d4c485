package org.dockerontop.fuse;

import java.util.Arrays;

/**
 * Open files by small integer id (what goes into {@code fuse_file_info.fh}). Lookups on the
 * read/write path are a plain array read with no locking or allocation; adding and removing
 * (open/release) synchronise.
 */
final class HandleTable {
    private volatile Handle[] slots = new Handle[256];
    private int[] free = new int[256];
    private int freeCount;
    private int next = 1; // 0 is never handed out, so a zeroed fh is recognisably invalid

    synchronized long add(Handle h) {
        int id;
        if (freeCount > 0) {
            id = free[--freeCount];
        } else {
            id = next++;
            if (id >= slots.length) {
                slots = Arrays.copyOf(slots, slots.length * 2);
            }
        }
        slots[id] = h;
        return id;
    }

    Handle get(long id) {
        Handle[] s = slots;
        if (id <= 0 || id >= s.length) {
            return null;
        }
        return s[(int) id];
    }

    synchronized Handle remove(long id) {
        Handle h = get(id);
        if (h == null) {
            return null;
        }
        slots[(int) id] = null;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = (int) id;
        return h;
    }

    /** Every open handle (a snapshot of the table; handles opened meanwhile may be missed). */
    void forEach(java.util.function.Consumer<Handle> action) {
        for (Handle h : slots) {
            if (h != null) {
                action.accept(h);
            }
        }
    }

    synchronized int size() {
        return next - 1 - freeCount;
    }
}
