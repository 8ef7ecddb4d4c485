package org.dockerontop.plugin.mount;

/**
 * What a successful mount used.
 *
 * @param strategy the strategy that actually mounted: {@code "overlay"} or {@code "fuse"}
 * @param reason   why that strategy was used (for {@code auto}: e.g. why the kernel overlay was refused);
 *                 shown by {@code docker volume inspect}
 */
public record MountResult(String strategy, String reason) {
}
