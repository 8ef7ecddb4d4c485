package org.dockerontop.plugin.mount;

import java.nio.file.Path;

/**
 * Builds the {@code -o lowerdir=L,upperdir=U,workdir=W[,volatile]} argument of the FUSE overlay command.
 * Values are escaped with a backslash before {@code ,} {@code :} and {@code \}, which the command
 * (like libfuse's option parser and the kernel's overlay options) reads back as literal characters,
 * so base directories with commas or colons mount correctly.
 */
final class OverlayOptions {
    private OverlayOptions() {
    }

    static String of(Layers layers) {
        return "lowerdir=" + escape(layers.lower()) + ",upperdir=" + escape(layers.upper()) + ",workdir="
                + escape(layers.work()) + (layers.volatileMount() ? ",volatile" : "");
    }

    static String escape(Path path) {
        return escape(path.toAbsolutePath().normalize().toString());
    }

    /** {@code s} with a backslash before each {@code ,} {@code :} and {@code \}. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == ',' || c == ':') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
