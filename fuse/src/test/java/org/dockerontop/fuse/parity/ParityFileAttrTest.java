package org.dockerontop.fuse.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.dockerontop.fuse.OverlayMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lsattr} and {@code chattr} (the FS_IOC_GETFLAGS/SETFLAGS and FSGETXATTR/FSSETXATTR
 * ioctls): the real entry's flags, and a change copies the entry up, as on the kernel overlay.
 * libfuse 2's loop answers EOPNOTSUPP: our loop only.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityFileAttrTest {

    @TempDir
    Path tmp;

    @Test
    void flagsAreTheRealEntrysAndAChangeCopiesUp() throws Exception {
        assumeTrue(OverlayMount.javaLoop(), "libfuse 2's loop answers no ioctl");
        Parity.check(o -> {
            o.writeFile("new.txt", "new\n");
            o.sh("lsattr -d dir dir/a.txt new.txt 2>&1");
            o.sh("chattr +A dir/a.txt && lsattr dir/a.txt");
            o.stat("dir/a.txt");
            o.readFile("dir/a.txt");
            o.sh("chattr +d dir && lsattr -d dir");
            o.sh("chattr +dA new.txt && lsattr new.txt && chattr -d new.txt && lsattr new.txt");
            o.sh("chattr +e dir/b.txt && lsattr dir/b.txt"); // a flag it has already: copied up all the same
            o.ls("dir");
            // isatty() of a stdio stream asks the file: it is no terminal
            o.sh("env PATH=/usr/local/bin:/usr/bin:/bin python3 -c 'import os; print(os.isatty(os.open(\"dir/a.txt\", os.O_RDONLY)))'");
        });
    }

    /**
     * Immutable and append-only are refused: the kernel overlay keeps them in an xattr and enforces
     * them itself, which the server does not (see FileAttrs). The file stays as it was.
     */
    @Test
    void immutableAndAppendOnlyAreRefused() throws Exception {
        assumeTrue(OverlayMount.javaLoop(), "libfuse 2's loop answers no ioctl");
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("f"), "base\n");
            m.mount();
            OverlayMount.Result r = OverlayMount.sh(false, "cd " + m.mnt + " && echo upper > u"
                    + " && chattr +i u; echo rc=$?; chattr +a f; echo rc=$?; lsattr u f; echo more >> u && cat u");
            assertTrue(r.output().contains("Operation not supported"), r.output());
            assertEquals(2, r.output().split("rc=1", -1).length - 1, r.output());
            assertTrue(r.output().contains("upper\nmore"), r.output());
            assertTrue(Files.notExists(m.upper.resolve("f")), "a refused change copies nothing up");
        }
    }
}
