/**
 * How a volume's layers become a mounted copy-on-write view.
 *
 * <ul>
 *   <li>{@link org.dockerontop.plugin.mount.MountStrategy}: the contract; {@code overlay}
 *       ({@link org.dockerontop.plugin.mount.KernelOverlayStrategy}), {@code fuse}
 *       ({@link org.dockerontop.plugin.mount.FuseProcessStrategy}: one detached FUSE server per mount, so
 *       mounts outlive the plugin) and {@code auto} ({@link org.dockerontop.plugin.mount.AutoStrategy}:
 *       kernel first, FUSE on a {@link org.dockerontop.plugin.mount.StrategyUnavailableException}).</li>
 *   <li>{@link org.dockerontop.plugin.mount.MountStrategies}: the three by name, one set per daemon.</li>
 *   <li>{@link org.dockerontop.plugin.mount.ExistingMounts}: what is already mounted at a mountpoint (after a
 *       restart), whether it still answers, and cleaning up a FUSE mount whose server died or hangs.</li>
 * </ul>
 * All strategies read and write the kernel overlayfs upper format, so a volume may change strategy between uses.
 */
package org.dockerontop.plugin.mount;
