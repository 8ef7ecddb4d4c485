package org.dockerontop.plugin.mount;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * One upper format: a volume written through one strategy shows exactly the same tree through the
 * other, including a deleted base file (whiteout) and a directory replaced after rm -r (opaque).
 */
class StrategySwitchTest {
    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws InterruptedException {
        TestMounts.unmountAllUnder(dir);
    }

    @Test
    void changesMadeThroughTheKernelOverlayShowThroughFuse() throws Exception {
        Layers layers = baseTree();
        MountStrategy kernel = new KernelOverlayStrategy();
        MountStrategy fuse = TestMounts.fuse();

        kernel.mount(layers);
        change(layers.mountpoint());
        kernel.unmount(layers.mountpoint());
        assertKernelFormat(layers.upper());

        fuse.mount(layers);
        try {
            assertChanged(layers.mountpoint());
        } finally {
            fuse.unmount(layers.mountpoint());
        }
    }

    @Test
    void changesMadeThroughFuseShowThroughTheKernelOverlay() throws Exception {
        Layers layers = baseTree();
        MountStrategy kernel = new KernelOverlayStrategy();
        MountStrategy fuse = TestMounts.fuse();

        fuse.mount(layers);
        change(layers.mountpoint());
        fuse.unmount(layers.mountpoint());
        assertKernelFormat(layers.upper());

        kernel.mount(layers);
        try {
            assertChangedExceptOpaque(layers.mountpoint());
            // fuse-overlayfs marks an opaque directory with the xattr AND .wh..wh..opq/.wh..opq files, which
            // the kernel shows as ordinary entries; only our FUSE command writes the kernel's format exactly.
            assumeFalse(TestMounts.usesFuseOverlayfs(), "fuse-overlayfs leaves opaque-marker files the kernel shows: "
                    + list(layers.mountpoint().resolve("dir")));
            assertChanged(layers.mountpoint());
        } finally {
            kernel.unmount(layers.mountpoint());
        }
    }

    @Test
    void aVolumeGoesBackAndForthKeepingEveryChange() throws Exception {
        Layers layers = baseTree();
        MountStrategy kernel = new KernelOverlayStrategy();
        MountStrategy fuse = TestMounts.fuse();

        kernel.mount(layers);
        change(layers.mountpoint());
        kernel.unmount(layers.mountpoint());

        fuse.mount(layers);
        Files.delete(layers.mountpoint().resolve("keep/x"));
        Files.writeString(layers.mountpoint().resolve("dir/d"), "second round");
        fuse.unmount(layers.mountpoint());

        kernel.mount(layers);
        try {
            assertChanged(layers.mountpoint(), List.of("c", "d"));
            assertEquals(List.of(), list(layers.mountpoint().resolve("keep")));
            assertEquals("second round", Files.readString(layers.mountpoint().resolve("dir/d")));
        } finally {
            kernel.unmount(layers.mountpoint());
        }
    }

    private Layers baseTree() throws IOException {
        Layers layers = TestMounts.layers(dir);
        Path lower = layers.lower();
        Files.writeString(lower.resolve("gone.txt"), "to be deleted");
        Files.createDirectories(lower.resolve("dir"));
        Files.writeString(lower.resolve("dir/a"), "a");
        Files.writeString(lower.resolve("dir/b"), "b");
        Files.createDirectories(lower.resolve("keep"));
        Files.writeString(lower.resolve("keep/x"), "x");
        return layers;
    }

    /** A write, a modification, a deletion (whiteout) and rm -r + mkdir (opaque directory). */
    private static void change(Path mp) throws IOException {
        Files.writeString(mp.resolve("new.txt"), "new");
        Files.writeString(mp.resolve("base.txt"), "modified");
        Files.delete(mp.resolve("gone.txt"));
        org.dockerontop.overlay.format.Trees.delete(mp.resolve("dir"));
        Files.createDirectories(mp.resolve("dir"));
        Files.writeString(mp.resolve("dir/c"), "c");
    }

    private static void assertChanged(Path mp) throws IOException {
        assertChanged(mp, List.of("c"));
    }

    private static void assertChanged(Path mp, List<String> dirEntries) throws IOException {
        assertChangedExceptOpaque(mp);
        assertEquals(dirEntries, list(mp.resolve("dir")), "the replaced directory hides the base's entries");
    }

    private static void assertChangedExceptOpaque(Path mp) throws IOException {
        assertEquals("new", Files.readString(mp.resolve("new.txt")));
        assertEquals("modified", Files.readString(mp.resolve("base.txt")));
        assertFalse(Files.exists(mp.resolve("gone.txt")), "the deleted base file stays deleted");
        assertEquals(List.of("base.txt", "dir", "keep", "new.txt"), list(mp));
        assertFalse(Files.exists(mp.resolve("dir/a")), "the base's entries of the replaced directory are hidden");
        assertEquals("c", Files.readString(mp.resolve("dir/c")));
    }

    /** The kernel's upper format: a 0/0 character device for the deletion, trusted.overlay.opaque=y. */
    private static void assertKernelFormat(Path upper) throws Exception {
        Path whiteout = upper.resolve("gone.txt");
        assertTrue(Files.exists(whiteout, java.nio.file.LinkOption.NOFOLLOW_LINKS), "whiteout for gone.txt");
        assertTrue(Files.readAttributes(whiteout, java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther(), "a device node, not a file");
        assertEquals(0L, ((Number) Files.getAttribute(whiteout, "unix:rdev", java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue());
        Process p = new ProcessBuilder("getfattr", "--absolute-names", "--only-values", "-n", "trusted.overlay.opaque", upper.resolve("dir").toString())
                .redirectErrorStream(true).start();
        String value = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), value);
        assertEquals("y", value.strip());
    }

    private static List<String> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
