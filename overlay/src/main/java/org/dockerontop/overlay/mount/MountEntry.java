package org.dockerontop.overlay.mount;

import java.nio.file.Path;

/**
 * One line of /proc/self/mountinfo, with octal escapes (e.g. {@code \040} for a space) decoded.
 *
 * @param id           the mount ID
 * @param parentId     the parent mount's ID
 * @param device       the filesystem's device number, {@code major:minor}: the same for every mount of one
 *                     filesystem instance (bind mounts, copies in other mount namespaces)
 * @param root         the root of the mount within its filesystem
 * @param mountpoint   where it is mounted
 * @param fsType       e.g. {@code overlay}, {@code ext4}, {@code fuse.docker-on-top-fuse}
 * @param source       the mount source, e.g. {@code docker-on-top_vol} or {@code /dev/vda}
 * @param superOptions the superblock options, e.g. {@code rw,lowerdir=...,upperdir=...}
 * @param propagation  the optional fields, e.g. {@code shared:1 master:2}, or empty for a private mount
 */
public record MountEntry(int id, int parentId, String device, String root, Path mountpoint, String fsType, String source,
                         String superOptions, String propagation) {

    /** @return true for overlayfs mounts */
    public boolean isOverlay() {
        return "overlay".equals(fsType);
    }

    /** The peer group this mount's mounts and unmounts propagate to ({@code shared:N}), or null if none. */
    public String peerGroup() {
        return tagged("shared:");
    }

    /** The peer group this mount receives mounts and unmounts from ({@code master:N}), or null if none. */
    public String masterGroup() {
        return tagged("master:");
    }

    private String tagged(String prefix) {
        for (String field : propagation.split(" ")) {
            if (field.startsWith(prefix)) {
                return field.substring(prefix.length());
            }
        }
        return null;
    }

    /** @return true for FUSE mounts ({@code fuse}, {@code fuse.SUBTYPE}, {@code fuseblk}) */
    public boolean isFuse() {
        return fsType.equals("fuse") || fsType.startsWith("fuse.") || fsType.equals("fuseblk");
    }
}
