package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class VolumeOptionsTest {
    @TempDir
    Path tmp;

    private String error(Map<String, String> opts) {
        return assertThrows(VolumeException.class, () -> VolumeOptions.parse(opts, Instant.EPOCH)).getMessage();
    }

    @Test
    void baseIsRequiredAbsoluteExistingAndADirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        String missing = error(Map.of());
        String relative = error(Map.of("base", "relative/dir"));
        String absent = error(Map.of("base", tmp.resolve("absent").toString()));
        String notDir = error(Map.of("base", file.toString()));
        assertTrue(missing.contains("base option is required") && missing.contains("-o base="), missing);
        assertTrue(relative.contains("absolute") && relative.contains("relative/dir"), relative);
        assertTrue(absent.contains("does not exist") && absent.contains("absent"), absent);
        assertTrue(notDir.contains("not a directory") && notDir.contains("file"), notDir);
    }

    @Test
    void aBaseWithDotDotIsTheDirectoryTheKernelResolvesItTo() throws Exception {
        // "link/.." is the parent of the link's target, as for ls and the kernel: a lexical clean-up would make it
        // the directory holding the link, and show the volume a directory the user did not name
        Path target = Files.createDirectories(tmp.resolve("elsewhere/sub"));
        Files.createDirectories(tmp.resolve("elsewhere/only-there"));
        Path links = Files.createDirectories(tmp.resolve("links"));
        Files.createSymbolicLink(links.resolve("lnk"), target);
        Path elsewhere = tmp.resolve("elsewhere").toRealPath();

        assertEquals(elsewhere.toString(),
                VolumeOptions.parse(Map.of("base", links + "/lnk/.."), Instant.EPOCH).baseDirPath());
        assertEquals(elsewhere.resolve("only-there").toString(),
                VolumeOptions.parse(Map.of("base", links + "/lnk/../only-there"), Instant.EPOCH).baseDirPath());
        // without "..", a symbolic link stays in the path as given (the volume follows what the path names)
        assertEquals(links.resolve("lnk").toString(),
                VolumeOptions.parse(Map.of("base", links + "/./lnk/"), Instant.EPOCH).baseDirPath());
    }

    @Test
    void aBaseThatIsNoPathHereIsRefusedWithAReasonNotAnInternalError() {
        // a NUL cannot be in a file name; a character the daemon's charset cannot encode fails the same way
        String msg = error(Map.of("base", tmp + "/a\u0000b"));
        assertTrue(msg.contains("is not a valid path"), msg);
    }

    @Test
    void volatileAcceptsTrueFalseYesNoInAnyCase() throws Exception {
        String base = tmp.toString();
        for (String t : new String[]{"true", "TRUE", "Yes", "yes"}) {
            assertTrue(VolumeOptions.parse(Map.of("base", base, "volatile", t), Instant.EPOCH).volatileVolume(), t);
        }
        for (String f : new String[]{"false", "False", "NO", "no"}) {
            assertFalse(VolumeOptions.parse(Map.of("base", base, "volatile", f), Instant.EPOCH).volatileVolume(), f);
        }
        assertFalse(VolumeOptions.parse(Map.of("base", base), Instant.EPOCH).volatileVolume());
        String bare = error(Map.of("base", base, "volatile", "")); // what -o volatile (no =value) sends
        assertTrue(bare.contains("-o volatile=true"), bare);
        String bad = error(Map.of("base", base, "volatile", "1"));
        assertTrue(bad.contains("volatile must be true, false, yes or no") && bad.contains("\"1\""), bad);
    }

    @Test
    void strategyIsStoredOnlyWhenGivenAndMustBeKnown() throws Exception {
        String base = tmp.toString();
        assertNull(VolumeOptions.parse(Map.of("base", base), Instant.EPOCH).strategy());
        assertEquals("fuse", VolumeOptions.parse(Map.of("base", base, "strategy", "FUSE"), Instant.EPOCH).strategy());
        String bad = error(Map.of("base", base, "strategy", "bind"));
        assertTrue(bad.contains("auto, overlay or fuse") && bad.contains("bind"), bad);
    }

    @Test
    void unknownOptionIsRefusedByName() {
        String bad = error(Map.of("base", tmp.toString(), "size", "10G"));
        assertTrue(bad.startsWith("invalid option \"size\""), bad);
    }

    @Test
    void names() throws Exception {
        VolumeOptions.validateName("a");
        VolumeOptions.validateName("My_vol-1.2");
        String slash = assertThrows(VolumeException.class, () -> VolumeOptions.validateName("/srv/data")).getMessage();
        assertTrue(slash.contains("-o base=/srv/data"), slash);
        String rel = assertThrows(VolumeException.class, () -> VolumeOptions.validateName("a/b")).getMessage();
        assertTrue(rel.contains("-o base="), rel);
        for (String bad : new String[]{"", "-x", ".hidden", "..", "a b", "é", "a:b"}) {
            assertThrows(VolumeException.class, () -> VolumeOptions.validateName(bad), bad);
        }
    }

    @Test
    void mountIds() throws Exception {
        VolumeOptions.validateMountId("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        for (String bad : new String[]{"", "../x", "a/b", ".tmp"}) {
            assertThrows(VolumeException.class, () -> VolumeOptions.validateMountId(bad), bad);
        }
    }
}
