package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures become errnos in one place, and the filesystem keeps serving after them. */
class ErrorHandlingTest {
    @TempDir
    Path tmp;

    @Test
    void errnoExceptionsMapToTheirErrnoAndAnythingElseToEio() {
        assertEquals(-Errno.EACCES, FuseOverlay.fail(new ErrnoException(Errno.EACCES, "x"), "op", "/p"));
        assertEquals(-Errno.EIO, FuseOverlay.fail(new IllegalStateException("bug"), "op", "/p"));
        assertEquals(-Errno.EIO, FuseOverlay.fail(new StackOverflowError(), "op", "/p"));
        assertEquals(-Errno.EIO, FuseOverlay.fail(new NullPointerException(), "op", null));
    }

    @Test
    void aFailingCopyUpFailsThatCallOnlyAndTheMountKeepsServing() throws Exception {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("a"), "a");
            Files.writeString(m.lower.resolve("b"), "b");
            m.mount();
            // take the workdir away: copy-up has nowhere to build its copy
            OverlayMount.sh(false, "rm -rf " + m.work.resolve("work"));
            assertNotEquals(0, OverlayMount.sh(false, "echo x >> " + m.mnt.resolve("a")).status());
            assertEquals("a", Files.readString(m.mnt.resolve("a")));
            assertEquals("b", Files.readString(m.mnt.resolve("b")));
            Files.writeString(m.mnt.resolve("new"), "n"); // creating needs no copy-up
            assertEquals("n", Files.readString(m.mnt.resolve("new")));
            Files.createDirectories(m.work.resolve("work"));
            assertEquals(0, OverlayMount.sh(false, "echo x >> " + m.mnt.resolve("a")).status());
            assertEquals("ax\n", Files.readString(m.mnt.resolve("a")));
            assertEquals("a", Files.readString(m.lower.resolve("a")));
        }
    }
}
