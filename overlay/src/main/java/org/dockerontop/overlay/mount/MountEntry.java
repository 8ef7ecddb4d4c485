package org.dockerontop.overlay.mount;

import java.nio.file.Path;

/**
 * One line of /proc/self/mountinfo, with octal escapes (e.g. {@code \040} for a space) decoded.
 *
 * @param id           the mount ID
 * @param parentId     the parent mount's ID
 * @param device       the mounted filesystem's device, {@code MAJOR:MINOR} (its files' st_dev; for a
 *                     FUSE mount also the name of its backing device info in /sys/class/bdi)
 * @param root         the root of the mount within its filesystem
 * @param mountpoint   where it is mounted
 * @param fsType       e.g. {@code overlay}, {@code ext4}, {@code fuse.docker-on-top-fuse}
 * @param source       the mount source, e.g. {@code docker-on-top_vol} or {@code /dev/vda}
 * @param superOptions the superblock options, e.g. {@code rw,lowerdir=...,upperdir=...}
 */
public record MountEntry(int id, int parentId, String device, String root, Path mountpoint, String fsType, String source,
                         String superOptions) {

    /** @return true for overlayfs mounts */
    public boolean isOverlay() {
        return "overlay".equals(fsType);
    }

    /** @return true for FUSE mounts ({@code fuse}, {@code fuse.SUBTYPE}, {@code fuseblk}) */
    public boolean isFuse() {
        return fsType.equals("fuse") || fsType.startsWith("fuse.") || fsType.equals("fuseblk");
    }
}
