package org.dockerontop.overlay.format;

/**
 * The overlay's private xattr namespace, {@code trusted.overlay.*}, and the escaping the kernel
 * (6.7+) uses so that an overlay can itself be a layer of another overlay: a user-visible
 * {@code trusted.overlay.X} is stored on disk as {@code trusted.overlay.overlay.X}; every other
 * {@code trusted.overlay.*} name on disk belongs to this overlay and is never shown.
 */
public final class OverlayXattrs {
    public static final String PREFIX = "trusted.overlay.";
    public static final String ESCAPED_PREFIX = "trusted.overlay.overlay.";
    public static final String OPAQUE = "trusted.overlay.opaque";
    public static final String WHITEOUT = "trusted.overlay.whiteout";

    private OverlayXattrs() {
    }

    public static boolean isPrivate(String name) {
        return name.startsWith(PREFIX);
    }

    /** The on-disk name for a name the user asked for (escapes {@code trusted.overlay.*}). */
    public static String toDisk(String userName) {
        return isPrivate(userName) ? ESCAPED_PREFIX + userName.substring(PREFIX.length()) : userName;
    }

    /**
     * The user-visible name of an on-disk xattr, or null if the name is the overlay's own and
     * must stay hidden.
     */
    public static String toUser(String diskName) {
        if (!diskName.startsWith(PREFIX)) {
            return diskName;
        }
        if (diskName.startsWith(ESCAPED_PREFIX)) {
            return PREFIX + diskName.substring(ESCAPED_PREFIX.length());
        }
        return null;
    }
}
