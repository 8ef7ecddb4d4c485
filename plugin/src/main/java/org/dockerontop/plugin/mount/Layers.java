package org.dockerontop.plugin.mount;

import java.nio.file.Path;

/**
 * The directories of one overlay mount: {@code lower} (the volume's base, never written),
 * {@code upper} (where every change lands, in the kernel overlayfs upper format),
 * {@code work} (scratch space on the same filesystem as {@code upper}) and {@code mountpoint}.
 */
public record Layers(Path lower, Path upper, Path work, Path mountpoint) {
}
