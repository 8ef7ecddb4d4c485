package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.MountEntry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tells a volume's own mount from anything else at its mountpoint: a mount that is not an overlay at all (a tmpfs,
 * a bind mount), and an overlay or a FUSE overlay of other layers. Handed to a container, any of those would take
 * its writes instead of the volume's upper directory (and the last Unmount would unmount it).
 *
 * <p>A kernel overlay names its layers in the mount table, as they were given: by this plugin ({@code lowerdir+=},
 * or {@code lowerdir=} escaped on kernels without it) or by the original Go plugin ({@code lowerdir=} as it is).
 * A FUSE overlay does not; its serving process does, in its {@code -o lowerdir=...,upperdir=...} argument (both
 * docker-on-top-fuse and fuse-overlayfs, the FUSE commands the plugin runs, outlive the plugin with it).
 */
public final class MountIdentity {
    private MountIdentity() {
    }

    /**
     * Why {@code entry} is not an overlay of {@code lower} under {@code upper} (the volume's base and upper
     * directory), as the plugin mounts one; {@code null} if it is. With unknown layers ({@code lower} or
     * {@code upper} null), any overlay or FUSE overlay counts as the volume's.
     *
     * @return for messages, e.g. "a tmpfs (source x), not an overlay", "an overlay of other layers (...)"
     */
    public static String whyNotOurs(MountEntry entry, Path lower, Path upper) {
        if (entry.isOverlay()) {
            if (lower == null || upper == null || overlayOf(entry.superOptions(), lower, upper)) {
                return null;
            }
            return "an overlay of other layers (" + entry.superOptions() + ") than the volume's (lowerdir=" + lower
                    + ", upperdir=" + upper + ")";
        }
        if (!ExistingMounts.isFuseType(entry.fsType())) {
            return "a " + entry.fsType() + " (source " + entry.source() + "), not an overlay";
        }
        if (lower == null || upper == null) {
            return null;
        }
        List<ProcessHandle> servers = FuseProcesses.serving(entry.mountpoint());
        if (servers.isEmpty()) {
            return "a " + entry.fsType() + " mount whose serving process is not to be found, so nothing tells which "
                    + "layers it shows";
        }
        List<String> theirs = new ArrayList<>();
        for (ProcessHandle server : servers) {
            Map<String, String> options = overlayOptions(FuseProcesses.arguments(server));
            if (samePath(options.get("lowerdir"), lower) && samePath(options.get("upperdir"), upper)) {
                return null;
            }
            theirs.add("process " + server.pid() + ": lowerdir=" + options.get("lowerdir") + ", upperdir="
                    + options.get("upperdir"));
        }
        return "a " + entry.fsType() + " overlay of other layers (" + String.join("; ", theirs)
                + ") than the volume's (lowerdir=" + lower + ", upperdir=" + upper + ")";
    }

    /**
     * Whether a kernel overlay's options (decoded from the mount table) name these layers as they were given: with
     * the escapes of a legacy mount(2) option string (which the kernel keeps for lowerdir=) or without. The kernel
     * shows the layers in one order (lowers, upper, work), which keeps a value holding a comma from being taken for
     * a shorter one followed by another option.
     */
    static boolean overlayOf(String options, Path lower, Path upper) {
        String l = lower.toAbsolutePath().normalize().toString();
        String u = upper.toAbsolutePath().normalize().toString();
        List<String> lowers = List.of("lowerdir+=" + l, "lowerdir=" + l, "lowerdir=" + OverlayOptions.escape(lower));
        for (String lowerOption : lowers) {
            for (String upperOption : List.of("upperdir=" + u, "upperdir=" + OverlayOptions.escape(upper))) {
                String layers = lowerOption + "," + upperOption + ",workdir=";
                if (options.startsWith(layers) || options.contains("," + layers)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The options of the {@code -o} arguments of a FUSE overlay command line ({@code -o a=b,c} or {@code -oa=b,c}),
     * with the backslash escapes of {@link OverlayOptions} removed from the values.
     */
    static Map<String, String> overlayOptions(List<String> argv) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            String value = arg.equals("-o") && i + 1 < argv.size() ? argv.get(++i)
                    : arg.startsWith("-o") && arg.length() > 2 ? arg.substring(2) : null;
            if (value != null) {
                parseOptions(value, options);
            }
        }
        return options;
    }

    private static void parseOptions(String list, Map<String, String> into) {
        StringBuilder key = new StringBuilder();
        StringBuilder value = null;
        for (int i = 0; i <= list.length(); i++) {
            char c = i < list.length() ? list.charAt(i) : ',';
            if (c == '\\' && i + 1 < list.length()) {
                (value != null ? value : key).append(list.charAt(++i));
            } else if (c == ',') {
                into.put(key.toString(), value != null ? value.toString() : "");
                key.setLength(0);
                value = null;
            } else if (c == '=' && value == null) {
                value = new StringBuilder();
            } else {
                (value != null ? value : key).append(c);
            }
        }
    }

    private static boolean samePath(String given, Path expected) {
        if (given == null || given.isEmpty()) {
            return false;
        }
        Path p = Path.of(given).toAbsolutePath().normalize();
        if (p.equals(expected.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return Files.isSameFile(p, expected); // another spelling of the same directory (a symbolic link)
        } catch (IOException e) {
            return false;
        }
    }
}
