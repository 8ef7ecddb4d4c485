package org.dockerontop.fuse.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What happens to the base directory itself while it is mounted: the kernel overlay reads each lower
 * layer through a private clone of its mount, taken at mount time, so the directory's name, the
 * namespace's mounts on and under it, no longer matter. Each scenario runs on both overlays and
 * records what the mount shows; the records must be equal.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityLowerLayerTest {

    /** A scenario on one overlay: prepares, mounts, acts; returns what it saw. */
    private interface Steps {
        String run(Overlay overlay, LayerDirs d) throws Exception;
    }

    @Test
    void unmountingTheBaseFilesystemChangesNothingTheMountShows() throws Exception {
        same((overlay, d) -> {
            tmpfs(d.lower());
            fill(d.lower());
            StringBuilder seen = new StringBuilder();
            try (Overlay.Mounted m = overlay.mount(d)) {
                seen.append("umount of the base: exit ").append(Cmd.run("umount", d.lower().toString()).exit()).append('\n');
                seen.append(shown(m.mnt()));
            } finally {
                untmpfs(d.lower());
            }
            seen.append("upper: ").append(Files.readString(d.upper().resolve("dir/g")));
            return seen.toString();
        });
    }

    @Test
    void renamingTheBaseChangesNothingTheMountShows() throws Exception {
        same((overlay, d) -> {
            fill(d.lower());
            StringBuilder seen = new StringBuilder();
            try (Overlay.Mounted m = overlay.mount(d)) {
                Files.move(d.lower(), d.lower().resolveSibling("lower-renamed"));
                seen.append(shown(m.mnt()));
            }
            seen.append("upper: ").append(Files.readString(d.upper().resolve("dir/g")));
            return seen.toString();
        });
    }

    @Test
    void aFilesystemMountedInsideTheBaseIsNotShown() throws Exception {
        same((overlay, d) -> {
            fill(d.lower());
            Files.writeString(d.lower().resolve("dir/under"), "the base's own\n");
            tmpfs(d.lower().resolve("dir"));
            StringBuilder seen = new StringBuilder();
            try {
                Files.writeString(d.lower().resolve("dir/inner"), "a mounted filesystem's\n");
                try (Overlay.Mounted m = overlay.mount(d)) {
                    seen.append(shown(m.mnt()));
                }
            } finally {
                untmpfs(d.lower().resolve("dir"));
            }
            return seen.toString();
        });
    }

    // ---------------------------------------------------------------- helpers

    private static void same(Steps steps) throws Exception {
        Path base = Parity.tempBase();
        try {
            String kernel = steps.run(Overlay.kernel(), LayerDirs.create(base.resolve("kernel")));
            String fuse = steps.run(Overlay.underTest(), LayerDirs.create(base.resolve("fuse")));
            assertEquals(kernel, fuse, "what the mount shows (expected = kernel, actual = fuse)");
        } finally {
            Parity.cleanUp(base);
        }
    }

    private static void fill(Path lower) throws Exception {
        Files.writeString(lower.resolve("f"), "base file\n");
        Files.createDirectories(lower.resolve("dir"));
        Files.writeString(lower.resolve("dir/g"), "base g\n");
    }

    /** The tree under {@code mnt} with file contents, after an append that copies {@code dir/g} up. */
    private static String shown(Path mnt) throws Exception {
        Files.writeString(mnt.resolve("dir/g"), "appended\n", StandardOpenOption.APPEND);
        try (Stream<Path> s = Files.walk(mnt)) {
            List<Path> all = s.sorted().collect(Collectors.toList());
            StringBuilder b = new StringBuilder();
            for (Path p : all) {
                b.append(mnt.relativize(p));
                if (Files.isRegularFile(p)) {
                    b.append(": ").append(Files.readString(p).replace("\n", "|"));
                }
                b.append('\n');
            }
            return b.toString();
        }
    }

    private static void tmpfs(Path dir) throws Exception {
        Cmd.ok("mount", "-t", "tmpfs", "-o", "mode=0755", "dot-parity", dir.toString());
        MountRegistry.add(dir, -1);
    }

    private static void untmpfs(Path dir) throws Exception {
        if (MountTable.fsTypeAt(dir) != null) {
            Cmd.ok("umount", dir.toString());
        }
        MountRegistry.remove(dir);
    }
}
