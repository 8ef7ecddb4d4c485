package org.dockerontop.plugin.volume;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Validation of what users type: volume names, {@code -o} options of {@code docker volume create},
 * and mount IDs sent by dockerd. Error messages are shown verbatim by the docker CLI, so each one
 * says what is wrong and how to fix it.
 */
public final class VolumeOptions {
    /** dockerd's own rule for volume names; also keeps names safe as directory names. */
    static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    private static final Pattern MOUNT_ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}");
    public static final Set<String> STRATEGIES = Set.of("auto", "overlay", "fuse");
    private static final Set<String> OPTIONS = Set.of("base", "volatile", "strategy");

    private VolumeOptions() {
    }

    /**
     * @throws VolumeException if {@code name} is not a valid volume name (with a hint for names with '/')
     */
    public static void validateName(String name) throws VolumeException {
        if (name == null || name.isEmpty()) {
            throw new VolumeException("a volume name is required");
        }
        if (name.length() > 255 || !NAME.matcher(name).matches()) {
            if (name.contains("/")) {
                throw new VolumeException("volume name \"" + name + "\" cannot contain slashes; to choose the host "
                        + "directory, give the volume a plain name and use -o base=" + (name.startsWith("/") ? name
                        : "/path/to/base/directory"));
            }
            throw new VolumeException("volume name \"" + name + "\" contains illegal characters: it must match "
                    + "[a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 255 characters)");
        }
    }

    /** @throws VolumeException if dockerd sent a mount ID that cannot be a file name */
    public static void validateMountId(String id) throws VolumeException {
        if (id == null || !MOUNT_ID.matcher(id).matches()) {
            throw new VolumeException("invalid mount ID \"" + id + "\": expected letters, digits, '_', '.', '-'");
        }
    }

    /**
     * Validates the options of {@code docker volume create} and builds the volume's metadata.
     *
     * @param now the creation time to record
     * @throws VolumeException naming the first unknown option, or saying what is wrong with base,
     *                         volatile or strategy
     */
    public static VolumeMetadata parse(Map<String, String> options, Instant now) throws VolumeException {
        Map<String, String> opts = options == null ? Map.of() : options;
        Set<String> unknown = new TreeSet<>(opts.keySet());
        unknown.removeAll(OPTIONS);
        if (!unknown.isEmpty()) {
            String first = unknown.iterator().next();
            throw new VolumeException("invalid option \"" + first + "\": docker-on-top accepts only -o base=DIR, "
                    + "-o volatile=true|false and -o strategy=auto|overlay|fuse");
        }
        String base = opts.get("base");
        if (base == null || base.isEmpty()) {
            throw new VolumeException("the base option is required: create the volume with "
                    + "-o base=/absolute/path/to/an/existing/directory");
        }
        Path basePath = path(base);
        if (!basePath.isAbsolute()) {
            throw new VolumeException("base must be an absolute path, but \"" + base + "\" is relative: use "
                    + "-o base=/full/path/to/the/directory");
        }
        if (!Files.exists(basePath)) {
            throw new VolumeException("the base directory " + base + " does not exist: create it first, or point "
                    + "-o base= at an existing directory");
        }
        if (!Files.isDirectory(basePath)) {
            throw new VolumeException("base " + base + " is not a directory (it is a "
                    + (Files.isRegularFile(basePath, LinkOption.NOFOLLOW_LINKS) ? "file" : "special file")
                    + "): -o base= must name a directory");
        }
        if (!Files.isReadable(basePath) || !Files.isExecutable(basePath)) {
            throw new VolumeException("the base directory " + base + " is not accessible: check its permissions");
        }
        String stored = basePath.normalize().toString();
        if (hasDotDot(basePath)) {
            // normalize() drops "dir/.." without looking: through a symbolic link that is another directory
            // than the kernel (and the checks above) resolve, so such a path is stored as the kernel resolves it
            try {
                stored = basePath.toRealPath().toString();
            } catch (java.io.IOException e) {
                throw new VolumeException("the base directory " + base + " is not accessible (" + e.getMessage()
                        + "): check that it exists and its permissions", e);
            }
        }
        boolean vol = parseVolatile(opts.get("volatile"));
        String strategy = opts.get("strategy");
        if (strategy != null) {
            strategy = strategy.toLowerCase(Locale.ROOT);
            if (!STRATEGIES.contains(strategy)) {
                throw new VolumeException("option strategy must be auto, overlay or fuse, not \""
                        + opts.get("strategy") + "\"");
            }
        }
        return new VolumeMetadata(stored, vol, strategy, now.toString());
    }

    private static boolean hasDotDot(Path path) {
        for (Path name : path) {
            if (name.toString().equals("..")) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code value} as a path of this file system.
     *
     * @throws VolumeException if it cannot be one here: a NUL in it, or characters the daemon's charset cannot
     *                         encode (Java names files in the locale's charset: in a POSIX locale only ASCII works)
     */
    public static Path path(String value) throws VolumeException {
        try {
            return Paths.get(value);
        } catch (InvalidPathException e) {
            String charset = System.getProperty("sun.jnu.encoding", "");
            throw new VolumeException("\"" + value.replace("\0", "\\0") + "\" is not a valid path here (" + e.getReason()
                    + (charset.equalsIgnoreCase("UTF-8") ? ")"
                    : "; the daemon names files in " + charset + ", not UTF-8: start it in a UTF-8 locale, e.g. "
                    + "LC_ALL=C.UTF-8, as its launcher docker-on-top does)"), e);
        }
    }

    private static boolean parseVolatile(String value) throws VolumeException {
        if (value == null) {
            return false;
        }
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
                return true;
            case "false":
            case "no":
                return false;
            default:
                throw new VolumeException("option volatile must be true, false, yes or no, not \"" + value + "\""
                        + (value.isEmpty() ? " (-o volatile alone gives it no value: write -o volatile=true)" : ""));
        }
    }

    /**
     * Refuses a base directory that contains the state directory {@code root} or lies inside it: the volume's
     * changes (its upper and work directories) would then be written into its own base, which an overlay's lower
     * layer must never see change. The FUSE overlay refuses such layers at mount; the kernel overlay mounts them
     * but shows its own changes inside itself. Compared by real path, so a symbolic link cannot hide either.
     *
     * @param base an existing directory (as {@link #parse} checked)
     * @param root the real path of the state directory
     * @throws VolumeException saying which one contains the other and what to choose instead
     */
    public static void requireOutside(String base, Path root) throws VolumeException {
        Path real;
        try {
            real = Paths.get(base).toRealPath();
        } catch (java.io.IOException e) {
            throw new VolumeException("the base directory " + base + " is not accessible (" + e.getMessage()
                    + "): check that it exists and its permissions", e);
        }
        if (root.startsWith(real)) {
            throw new VolumeException("base " + base + " contains docker-on-top's state directory " + root
                    + ", where the volume's changes are written: a volume's base must not contain its own changes. "
                    + "Choose a base outside " + root + ", or run the daemon with --root on a directory outside "
                    + "the base");
        }
        if (real.startsWith(root)) {
            throw new VolumeException("base " + base + " lies inside docker-on-top's state directory " + root
                    + ", which the daemon itself writes while volumes are used: choose a base outside " + root);
        }
    }
}
