package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.O_CREAT;
import static org.dockerontop.fuse.parity.LibC.O_RDONLY;
import static org.dockerontop.fuse.parity.LibC.O_RDWR;
import static org.dockerontop.fuse.parity.LibC.O_TRUNC;
import static org.dockerontop.fuse.parity.LibC.O_WRONLY;

import java.nio.charset.StandardCharsets;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Parity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A change made through one name of a hard-linked file is seen through every other name at once,
 * as on the kernel overlay: libfuse 2's path API gives each name its own kernel inode, each with
 * its own cached pages and attributes. Every name is read first, so that each has cached data to
 * go stale, and the changes keep the size where they can (a changed size alone makes the kernel
 * drop its pages).
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HardLinkDataRegressionTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sameSizeChangesThroughOneNameAreReadThroughTheOthers() throws Exception {
        Parity.check(o -> {
            o.writeFile("a", "0123456789\n");
            o.link("a", "b");
            o.link("b", "dir/c");
            o.readFile("a");
            o.readFile("b");
            o.readFile("dir/c");
            // in place through b, with a held open for reading
            int ra = o.open("a", O_RDONLY);
            o.pread(ra, 100, 0);
            int wb = o.open("b", O_WRONLY);
            o.pwrite(wb, b("AB"), 0);
            o.pread(ra, 100, 0);
            o.readFile("a");
            o.readFile("dir/c");
            o.close(wb);
            // through a handle of c
            int wc = o.open("dir/c", O_RDWR);
            o.pwrite(wc, b("xyz"), 5);
            o.close(wc);
            o.pread(ra, 100, 0);
            o.readFile("b");
            o.close(ra);
            // O_TRUNC and truncate(2) by path
            int t = o.open("b", O_WRONLY | O_TRUNC);
            o.write(t, "new content");
            o.close(t);
            o.readFile("a");
            o.stat("dir/c");
            o.truncate("a", 3);
            o.readFile("b");
            o.stat("dir/c");
            // attributes through one name, read through another
            o.chmod("dir/c", 0600);
            o.stat("a");
            o.utimens("b", 1_000_000_000L, 0, false);
            o.stat("dir/c");
        });
    }

    @Test
    void fallocateThroughOneNameIsSeenThroughTheOthers() throws Exception {
        int keepSize = 0x01, punchHole = 0x02, zeroRange = 0x10;
        Parity.check(o -> {
            o.writeFile("a", "0123456789".repeat(1000));
            o.link("a", "b");
            int ra = o.open("a", O_RDONLY);
            o.pread(ra, 20, 4090);
            int wb = o.open("b", O_RDWR);
            o.fallocate(wb, punchHole | keepSize, 4096, 4096);
            o.pread(ra, 20, 4090);
            o.fallocate(wb, zeroRange | keepSize, 0, 5);
            o.pread(ra, 20, 0);
            o.fallocate(wb, 0, 0, 20000); // extends
            o.fstat(ra);
            o.pread(ra, 20, 19990);
            o.close(wb);
            o.close(ra);
            o.stat("a");
        });
    }

    @Test
    void fileOpenBeforeItWasLinked() throws Exception {
        Parity.check(o -> {
            int fd = o.open("new", O_CREAT | O_RDWR, 0644);
            o.write(fd, "first version\n");
            o.link("new", "other");
            o.readFile("other");
            o.pwrite(fd, b("FIRST"), 0);
            o.readFile("other");
            o.ftruncate(fd, 5);
            o.stat("other");
            o.readFile("other");
            o.close(fd);
            // an upper file opened for reading and writing, then linked
            o.writeFile("u", "upper file\n");
            int u = o.open("u", O_RDWR);
            o.pread(u, 100, 0);
            o.link("u", "dir/u2");
            o.readFile("dir/u2");
            o.pwrite(u, b("UPPER"), 0);
            o.readFile("dir/u2");
            o.close(u);
        });
    }

    @Test
    void lowerHardLinksSplitOnCopyUp() throws Exception {
        Parity.check(o -> {
            o.readFile("hard1");
            o.readFile("hard2");
            int fd = o.open("hard1", O_WRONLY);
            o.pwrite(fd, b("H"), 0);
            o.close(fd);
            o.readFile("hard1");
            o.readFile("hard2");
            o.stat("hard1");
            o.stat("hard2");
        });
    }
}
