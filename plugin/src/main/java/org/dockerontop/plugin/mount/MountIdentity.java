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
     * Whether a kernel overlay's options (decoded from the mount table) name these layers. The kernel shows each
     * layer as it was given to it: by this plugin ({@code lowerdir+=} as it is, or {@code lowerdir=} with the escapes
     * of a legacy mount(2) option string, which the kernel keeps), or by the original Go plugin (its stored base as
     * typed at create, e.g. {@code /srv/data/}, and its upper as {@code .../upper/}). So both sides are compared
     * {@link #lexical spelled alike}. The kernel shows the layers in one order (lowers, upper, work): the first
     * lowerdir option starts the lower, which runs up to an {@code ,upperdir=} (a value may hold commas, so every
     * one is tried), and the upper up to a {@code ,workdir=}. A second lower, or data layers, make it another
     * overlay.
     */
    static boolean overlayOf(String options, Path lower, Path upper) {
        String l = lexical(lower.toAbsolutePath().toString());
        String u = lexical(upper.toAbsolutePath().toString());
        int from = firstLowerValue(options);
        if (from < 0) {
            return false;
        }
        for (int up = options.indexOf(UPPER, from); up >= 0; up = options.indexOf(UPPER, up + 1)) {
            if (!sameLayer(options.substring(from, up), l)) {
                continue;
            }
            int upperFrom = up + UPPER.length();
            for (int work = options.indexOf(WORK, upperFrom); work >= 0; work = options.indexOf(WORK, work + 1)) {
                if (sameLayer(options.substring(upperFrom, work), u)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static final String UPPER = ",upperdir=";
    private static final String WORK = ",workdir=";

    /** Where the value of the first {@code lowerdir=} or {@code lowerdir+=} option starts, or -1 if none. */
    private static int firstLowerValue(String options) {
        int best = -1;
        for (String key : List.of("lowerdir=", "lowerdir+=")) {
            for (int at = options.indexOf(key); at >= 0; at = options.indexOf(key, at + 1)) {
                if (at == 0 || options.charAt(at - 1) == ',') {
                    if (best < 0 || at + key.length() < best) {
                        best = at + key.length();
                    }
                    break;
                }
            }
        }
        return best;
    }

    /** Whether a layer as the kernel shows it is {@code expected} (spelled by {@link #lexical}), escaped or not. */
    private static boolean sameLayer(String shown, String expected) {
        String s = lexical(shown);
        return s.equals(expected) || s.equals(OverlayOptions.escape(expected));
    }

    /**
     * {@code path} without the parts of its spelling that do not change the directory it names: repeated slashes,
     * {@code .} components and a trailing slash ({@code /srv//data/.} is {@code /srv/data}). A {@code ..} is kept:
     * through a symbolic link it does not lead where dropping the component before it would.
     */
    static String lexical(String path) {
        StringBuilder out = new StringBuilder(path.length());
        for (String part : path.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                out.append('/').append(part);
            }
        }
        if (!path.startsWith("/")) {
            return out.length() == 0 ? "." : out.substring(1);
        }
        return out.length() == 0 ? "/" : out.toString();
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
