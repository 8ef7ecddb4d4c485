package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads /proc/self/mountinfo: which paths are mountpoints and with which filesystem type. */
public final class MountTable {
    private MountTable() {}

    public record Entry(String mountPoint, String fsType, String source, String superOptions) {}

    public static List<Entry> read() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = 6;
            while (!f[dash].equals("-")) dash++;
            out.add(new Entry(unescape(f[4]), f[dash + 1], unescape(f[dash + 2]), f[dash + 3]));
        }
        return out;
    }

    /** The filesystem type mounted at exactly {@code mnt} (the topmost mount), or null if it is not a mountpoint. */
    public static String fsTypeAt(Path mnt) throws IOException {
        String type = null;
        for (Entry e : read()) {
            if (e.mountPoint().equals(mnt.toString())) type = e.fsType();
        }
        return type;
    }

    /** Mountpoints at or below {@code dir}. */
    public static List<String> mountsUnder(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        String prefix = dir.toString() + "/";
        for (Entry e : read()) {
            if (e.mountPoint().equals(dir.toString()) || e.mountPoint().startsWith(prefix)) out.add(e.mountPoint());
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
