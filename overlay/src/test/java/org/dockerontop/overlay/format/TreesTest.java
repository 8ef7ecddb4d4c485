package org.dockerontop.overlay.format;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TreesTest {
    @TempDir
    Path dir;

    @Test
    void deletesATreeWithoutFollowingLinks() throws Exception {
        Path outside = Files.writeString(Files.createDirectories(dir.resolve("outside")).resolve("keep.txt"), "keep");
        Path top = Files.createDirectories(dir.resolve("top/a/b"));
        Files.writeString(top.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("top/link"), dir.resolve("outside"));

        Trees.delete(dir.resolve("top"));

        assertFalse(Files.exists(dir.resolve("top"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("keep", Files.readString(outside), "what a link points to is not deleted");
    }

    @Test
    void emptiesADirectoryAndKeepsIt() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(work.resolve("work/deep"));
        Files.writeString(work.resolve("tmp1"), "x");

        Trees.empty(work);

        assertTrue(Files.isDirectory(work));
        try (var s = Files.list(work)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aMissingTreeIsAlreadyDeleted() throws Exception {
        Trees.delete(dir.resolve("missing"));
        Trees.empty(dir.resolve("missing"));
    }
}
