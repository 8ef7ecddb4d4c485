package org.dockerontop.overlay.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of the mount table of this process's mount namespace, read from /proc/self/mountinfo
 * (see proc(5)). Paths in that file escape space, tab, newline and backslash as octal ({@code \040},
 * {@code \011}, {@code \012}, {@code \134}); they are decoded here.
 */
public final class MountTable {
    private static final Path PROC_SELF_MOUNTINFO = Paths.get("/proc/self/mountinfo");

    private final List<MountEntry> entries;

    private MountTable(List<MountEntry> entries) {
        this.entries = Collections.unmodifiableList(entries);
    }

    /**
     * Reads the current mount table.
     *
     * @throws IOException if /proc/self/mountinfo cannot be read (no /proc)
     */
    public static MountTable read() throws IOException {
        return parse(new String(Files.readAllBytes(PROC_SELF_MOUNTINFO), StandardCharsets.ISO_8859_1));
    }

    /**
     * Parses mountinfo text. Bytes are expected as ISO-8859-1 characters (one char per byte) and are
     * decoded as UTF-8 after unescaping; malformed lines are skipped.
     */
    public static MountTable parse(String mountinfo) {
        List<MountEntry> list = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            MountEntry e = parseLine(line);
            if (e != null) {
                list.add(e);
            }
        }
        return new MountTable(list);
    }

    /** All entries in mount order (a later entry at the same mountpoint is mounted over an earlier one). */
    public List<MountEntry> entries() {
        return entries;
    }

    /** The topmost mount whose mountpoint is exactly {@code path} (absolute, normalized), if any. */
    public Optional<MountEntry> at(Path path) {
        Path p = path.toAbsolutePath().normalize();
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).mountpoint().equals(p)) {
                return Optional.of(entries.get(i));
            }
        }
        return Optional.empty();
    }

    /** @return true if something is mounted exactly at {@code path} */
    public boolean isMountpoint(Path path) {
        return at(path).isPresent();
    }

    /** All mounts at {@code dir} or anywhere below it. */
    public List<MountEntry> under(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        List<MountEntry> found = new ArrayList<>();
        for (MountEntry e : entries) {
            if (e.mountpoint().startsWith(d)) {
                found.add(e);
            }
        }
        return found;
    }

    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    private static MountEntry parseLine(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 7 || dash < 0 || f.length < dash + 3) {
            return null;
        }
        try {
            int id = Integer.parseInt(f[0]);
            int parent = Integer.parseInt(f[1]);
            String superOptions = f.length > dash + 3 ? unescape(f[dash + 3]) : "";
            return new MountEntry(id, parent, f[2], unescape(f[3]), Paths.get(unescape(f[4])), unescape(f[dash + 1]),
                    unescape(f[dash + 2]), superOptions);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Decodes {@code \NNN} octal escapes, then the bytes as UTF-8. */
    static String unescape(String field) {
        byte[] out = new byte[field.length()];
        int n = 0;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out[n++] = (byte) Integer.parseInt(field.substring(i + 1, i + 4), 8);
                i += 3;
            } else {
                out[n++] = (byte) c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
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
