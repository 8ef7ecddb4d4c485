package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sequential reader of a lower file gets 1 MiB READs: the mount's read-ahead and max_read are
 * 1 MiB (on a kernel that grants FUSE_MAX_PAGES, 4.20+). Checks the settings on a real mount, not
 * the speed.
 */
class ReadaheadTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void needsFuse() {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
    }

    @Test
    void theMountReadsAheadOneMebibyteInOneMebibyteReads() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            m.mount();
            Path mnt = m.mnt.toRealPath();
            String device = Readahead.device(mnt);
            assertNotNull(device, "our mount in mountinfo");
            assertTrue(MountTable.read().at(mnt).orElseThrow().superOptions().contains("max_read=1048576"),
                    "max_read of the mount");
            // set by the worker that wrote the INIT reply, which may still be at it when the
            // mount first answers another worker: wait for it (a few ms), not a timing assertion
            Path bdi = Readahead.bdiFile(device);
            String kib = "";
            for (int i = 0; i < 200 && !(kib = Files.readString(bdi).trim()).equals("1024"); i++) {
                Thread.sleep(50);
            }
            assertEquals("1024", kib, bdi + " of our mount");
        }
    }

    @Test
    void withoutOurMountNothingIsSetAndNothingThrows() {
        assertNull(Readahead.device(tmp));
        assertFalse(Readahead.set(tmp, Readahead.KIB));
    }
}
