package org.dockerontop.fuse;

/**
 * Loads, while the server starts, classes that a kind of request would otherwise load in the middle
 * of the first such request a fresh mount serves.
 *
 * <p>Why: a class loaded on first use is read from the jar (from disk, once the page cache has been
 * dropped), defined and verified inside that request. The first directory listing of a mount loaded
 * three (the listing, libfuse's filler, the reply header writer): about 0.7 ms of its 9 ms, next to
 * some 550 classes the start loads from the jar anyway. Only classes whose first use is known to
 * sit in a request belong here.
 */
final class ColdStart {
    private ColdStart() {
    }

    /**
     * Loads and initializes {@code classes}. Never fails: a class that cannot be loaded now is
     * loaded (or fails) on first use, as without this.
     */
    static void load(Class<?>... classes) {
        for (Class<?> c : classes) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (Throwable t) {
                // only an optimisation: first use reports whatever is wrong
            }
        }
    }
}
