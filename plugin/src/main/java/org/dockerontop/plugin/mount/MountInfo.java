package org.dockerontop.plugin.mount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One line of /proc/self/mountinfo (see proc(5)). A minimal reader for this package: it is what
 * the strategies need to tell which kind of mount sits on a volume's mountpoint.
 *
 * @param mountId    unique id of the mount
 * @param device     {@code major:minor} of the filesystem (for FUSE, the minor is the connection
 *                   number under /sys/fs/fuse/connections)
 * @param mountPoint where it is mounted, with the kernel's octal escapes decoded
 * @param fsType     filesystem type, e.g. {@code overlay}, {@code fuse.docker-on-top-fuse}
 * @param source     mount source as given to mount
 */
public record MountInfo(int mountId, String device, Path mountPoint, String fsType, String source) {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** All mounts visible to this process, in mount order. */
    public static List<MountInfo> readAll() {
        try {
            List<MountInfo> mounts = new ArrayList<>();
            for (String line : Files.readAllLines(MOUNTINFO)) {
                MountInfo m = parse(line);
                if (m != null) {
                    mounts.add(m);
                }
            }
            return mounts;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MOUNTINFO, e);
        }
    }

    /**
     * The mount on top of {@code mountpoint} (the last one mounted there), if any. The path is
     * compared as given, made absolute and normalised: the mountpoint itself is never stat'ed,
     * because stat on a dead FUSE mount fails.
     */
    public static Optional<MountInfo> at(Path mountpoint) {
        Path wanted = mountpoint.toAbsolutePath().normalize();
        MountInfo top = null;
        for (MountInfo m : readAll()) {
            if (m.mountPoint().equals(wanted)) {
                top = m;
            }
        }
        return Optional.ofNullable(top);
    }

    static MountInfo parse(String line) {
        // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 7 || dash < 0 || dash + 2 >= f.length) {
            return null;
        }
        return new MountInfo(Integer.parseInt(f[0]), f[2], Path.of(unescape(f[4])), unescape(f[dash + 1]),
                unescape(f[dash + 2]));
    }

    /** The kernel writes space, tab, newline and backslash as {@code \ooo} octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
