package org.dockerontop.fuse.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Access times of the lower layer, which the other parity checks leave out ({@link TreeSnapshot}
 * renders no atime): the kernel overlay mounts its lower layers noatime and opens their files
 * O_NOATIME, so listing, reading (symbolic links too) and copying up through it leave every lower
 * atime as it was, and the mount keeps showing those atimes. The template's atime equals the mtime, so under relatime
 * the first read of any lower entry would update it.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityAtimeTest {

    private static final List<String> LISTED = List.of("", "dir", "dir/sub", "tree", "tree/d0");
    private static final List<String> READ = List.of("file.txt", "dir/a.txt", "tree/d0/f0", "sparse");
    private static final String SYMLINK = "link";
    /** Copied up by an append: the copy reads the lower file's data. */
    private static final String COPIED_UP = "tree/d1/f0";
    private static final List<String> WATCHED = List.of("dir", "dir/sub", "tree", "tree/d0", "tree/d1",
            "file.txt", "dir/a.txt", "tree/d0/f0", "sparse", SYMLINK, COPIED_UP);

    @Test
    void listingReadingAndCopyUpLeaveLowerAtimesAlone() throws Exception {
        Path base = Parity.tempBase();
        try {
            Map<String, String> kernel = run(Overlay.kernel(), base.resolve("kernel"));
            Map<String, String> fuse = run(Overlay.underTest(), base.resolve("fuse"));
            assertEquals(kernel, fuse, "lower atimes and the atimes the mount shows (expected = kernel, actual = fuse)");
        } finally {
            Parity.cleanUp(base);
        }
    }

    /** Per watched path: its lower atime before and after, and its atime seen through the mount after. */
    private static Map<String, String> run(Overlay overlay, Path dir) throws Exception {
        LayerDirs d = Parity.prepare(dir, Layouts.LOWER, Template.EMPTY);
        Map<String, Long> before = new LinkedHashMap<>();
        for (String p : WATCHED) {
            before.put(p, Sys.lstat(d.lower().resolve(p).toString()).atimeNs());
        }
        Map<String, String> result = new LinkedHashMap<>();
        try (Overlay.Mounted m = overlay.mount(d)) {
            for (int round = 0; round < 2; round++) { // the second from the kernel's caches, as a warm walk
                for (String p : LISTED) {
                    Sys.readdir(d.mnt().resolve(p).toString());
                }
                for (String p : READ) {
                    Files.readAllBytes(d.mnt().resolve(p));
                }
                Sys.readlink(d.mnt().resolve(SYMLINK).toString());
            }
            Files.writeString(d.mnt().resolve(COPIED_UP), "appended\n", java.nio.file.StandardOpenOption.APPEND);
            for (String p : WATCHED) {
                if (!p.equals(COPIED_UP)) {
                    result.put(p + " through the mount",
                            Sys.lstat(d.mnt().resolve(p).toString()).atimeNs() == before.get(p) ? "unchanged" : "changed");
                }
            }
        }
        for (String p : WATCHED) {
            result.put(p + " in the lower layer",
                    Sys.lstat(d.lower().resolve(p).toString()).atimeNs() == before.get(p) ? "unchanged" : "changed");
        }
        return result;
    }
}
