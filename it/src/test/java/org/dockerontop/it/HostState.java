package org.dockerontop.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** What the host looks like: its mount table, its processes, and a fingerprint of a directory tree. */
public final class HostState {
    private HostState() {
    }

    /** @return the mount points at or below {@code dir}, from /proc/self/mountinfo (innermost last) */
    public static List<String> mountsUnder(Path dir) {
        String prefix = dir.toAbsolutePath().normalize().toString();
        List<String> found = new ArrayList<>();
        for (String line : readLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            String mountPoint = unescape(fields[4]);
            if (mountPoint.equals(prefix) || mountPoint.startsWith(prefix + "/")) {
                found.add(mountPoint + " (" + fsType(fields) + ")");
            }
        }
        return found;
    }

    /** @return the lines of process {@code pid}'s mount table (of its mount namespace); none if it is gone */
    public static List<String> mountsIn(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** @return whether something is mounted exactly at {@code dir} */
    public static boolean isMountPoint(Path dir) {
        String target = dir.toAbsolutePath().normalize().toString();
        for (String line : readLines(Path.of("/proc/self/mountinfo"))) {
            if (unescape(line.split(" ")[4]).equals(target)) {
                return true;
            }
        }
        return false;
    }

    /** @return the filesystem type mounted exactly at {@code dir} (the last mount), or null */
    public static String fsTypeAt(Path dir) {
        String target = dir.toAbsolutePath().normalize().toString();
        String type = null;
        for (String line : readLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (unescape(fields[4]).equals(target)) {
                type = fsType(fields);
            }
        }
        return type;
    }

    private static String fsType(String[] fields) {
        for (int i = 6; i < fields.length; i++) {
            if (fields[i].equals("-")) {
                return fields[i + 1];
            }
        }
        return "?";
    }

    /** Decodes the octal escapes (\040 for a space…) of /proc/self/mountinfo. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** @return "pid: command line" of every process (but this one) whose command line contains {@code text} */
    public static List<String> processesMentioning(String text) {
        List<String> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                if (Long.parseLong(proc.getFileName().toString()) == self) {
                    continue;
                }
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim();
                } catch (IOException gone) {
                    continue;
                }
                if (cmdline.contains(text)) {
                    found.add(proc.getFileName() + ": " + cmdline);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /**
     * A fingerprint of everything about a tree that a write through an overlay could change: one line
     * per entry with its type, mode, owner, size, mtime, ctime, symlink target and content hash.
     * Comparing two fingerprints as strings shows exactly which entry differs.
     */
    public static String treeFingerprint(Path root) throws IOException {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted().toList()) {
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                out.append(root.relativize(p)).append(' ')
                        .append(Integer.toOctalString((Integer) a.get("mode"))).append(' ')
                        .append(a.get("uid")).append(':').append(a.get("gid")).append(' ')
                        .append(a.get("size")).append(' ')
                        .append(((FileTime) a.get("lastModifiedTime")).toMillis()).append(' ')
                        .append(((FileTime) a.get("ctime")).toMillis()).append(' ')
                        .append(a.get("nlink"));
                if (Files.isSymbolicLink(p)) {
                    out.append(" -> ").append(Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.append(" sha256=").append(sha256(p));
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
