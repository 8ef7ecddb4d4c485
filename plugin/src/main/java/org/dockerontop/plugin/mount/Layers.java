package org.dockerontop.plugin.mount;

import java.nio.file.Path;

/**
 * The directories of one overlay mount: {@code lower} (the volume's base, never written),
 * {@code upper} (where every change lands, in the kernel overlayfs upper format),
 * {@code work} (scratch space on the same filesystem as {@code upper}) and {@code mountpoint};
 * with {@code volatileMount}, mounted with the overlay's {@code volatile} option: nothing is synced,
 * for changes that are discarded anyway (a volatile volume's), and {@code work} is marked so that the
 * overlay refuses it until it is recreated.
 */
public record Layers(Path lower, Path upper, Path work, Path mountpoint, boolean volatileMount) {
    /** Layers of an ordinary (synced) mount. */
    public Layers(Path lower, Path upper, Path work, Path mountpoint) {
        this(lower, upper, work, mountpoint, false);
    }
}
