package org.dockerontop.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Reads /proc/self/mountinfo to tell whether a mount point carries a given filesystem type. */
final class MountInfo {
    private MountInfo() {
    }

    /** Is {@code mountPoint} (canonical) the mount point of a {@code fstype} mount right now? */
    static boolean isMounted(Path mountPoint, String fstype, long unusedPid) {
        return !mountIds(mountPoint, fstype).isEmpty();
    }

    /** The mount IDs of the {@code fstype} mounts on {@code mountPoint} (canonical), oldest first. */
    static java.util.List<String> mountIds(Path mountPoint, String fstype) {
        java.util.List<String> ids = new java.util.ArrayList<>();
        String want = mountPoint.toString();
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length < 5 || !unescape(f[4]).equals(want)) {
                    continue;
                }
                int sep = line.indexOf(" - ");
                if (sep < 0) {
                    continue;
                }
                String[] tail = line.substring(sep + 3).split(" ");
                if (tail.length > 0 && tail[0].equals(fstype)) {
                    ids.add(f[0]);
                }
            }
        } catch (IOException e) {
            return ids;
        }
        return ids;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal {@code \ooo}. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() + 0 && i + 3 <= s.length() - 1 + 1) {
                try {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
