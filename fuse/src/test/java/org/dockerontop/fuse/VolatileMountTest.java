package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dockerontop.overlay.format.IncompatFeatures;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -o volatile}: like the kernel overlay's option, nothing reaches the disk early (no copy-up
 * sync, FSYNC answered without syncing), and the workdir carries the kernel's mark, which both
 * refuse afterwards.
 */
class VolatileMountTest {
    private static final String SYNC_EVENT = "ext4/ext4_sync_file_enter";
    private static final Pattern SYNCED_INO = Pattern.compile(" ino (\\d+) ");

    @TempDir
    Path tmp;

    @BeforeEach
    void needsFuse() {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
    }

    /** ext4 syncs of the upper file that an append to a lower file and an fsync through the mount caused. */
    private static long syncsOfACopyUpAndAnFsync(OverlayMount m) throws IOException {
        Files.write(m.lower.resolve("data"), new byte[1 << 20]);
        long dev = TraceEvents.kernelDev((Long) Files.getAttribute(m.upper, "unix:dev"));
        String trace;
        try (TraceEvents t = TraceEvents.start(SYNC_EVENT, "dev == " + dev)) {
            try (FileChannel f = FileChannel.open(m.mnt.resolve("data"), StandardOpenOption.APPEND)) {
                f.write(ByteBuffer.wrap(new byte[] {1}));
                f.force(true);
            }
            trace = t.stop();
        }
        long ino = (Long) Files.getAttribute(m.upper.resolve("data"), "unix:ino");
        long syncs = 0;
        Matcher i = SYNCED_INO.matcher(trace);
        while (i.find()) {
            if (Long.parseLong(i.group(1)) == ino) {
                syncs++;
            }
        }
        return syncs;
    }

    @Test
    void aVolatileMountSyncsNothingWhereAnOrdinaryOneSyncsTheCopyUpAndTheFsync() throws Exception {
        assumeTrue(TraceEvents.available(SYNC_EVENT), "needs tracefs and ext4's sync tracepoint");
        assumeTrue(Files.getFileStore(tmp).type().equals("ext4"), "needs the temp dir on ext4, not "
                + Files.getFileStore(tmp).type());
        try (OverlayMount ordinary = new OverlayMount(Files.createDirectories(tmp.resolve("ordinary")))) {
            ordinary.mount();
            assertEquals(2, syncsOfACopyUpAndAnFsync(ordinary), "the copy-up's sync and the fsync");
        }
        try (OverlayMount vol = new OverlayMount(Files.createDirectories(tmp.resolve("volatile")))) {
            vol.mount(",volatile");
            assertEquals(0, syncsOfACopyUpAndAnFsync(vol));
            assertEquals(1 << 20 | 1, Files.size(vol.mnt.resolve("data")));
        }
    }

    @Test
    void aVolatileMountMarksTheWorkdirAsTheKernelDoesAndLaterMountsAreRefused() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("f"), "x");
            m.mount(",volatile");
            Files.writeString(m.mnt.resolve("f"), "changed");
            m.unmount();
            assertTrue(Files.exists(IncompatFeatures.directory(m.work).resolve("volatile/dirty")),
                    "the kernel's mark stays after a clean unmount, as the kernel leaves it");
            for (String extra : new String[] {"", ",volatile"}) {
                OverlayMount.Result r = OverlayMount.command("-o", m.options() + extra, m.mnt.toString());
                assertNotEquals(0, r.status());
                assertTrue(r.output().contains("incompat feature 'volatile'"), r.output());
                assertFalse(m.isMounted());
            }
            // the kernel overlay refuses the same workdir
            Process k = new ProcessBuilder("mount", "-t", "overlay", "overlay", "-o", m.options(), m.mnt.toString())
                    .redirectErrorStream(true).start();
            k.getInputStream().readAllBytes();
            assertNotEquals(0, k.waitFor(), "the kernel overlay mounted a workdir marked volatile");
            // removing the mark is the way back, as with the kernel
            org.dockerontop.overlay.format.Trees.delete(IncompatFeatures.directory(m.work));
            m.mount();
            assertEquals("changed", Files.readString(m.mnt.resolve("f")));
        }
    }

    @Test
    void aWorkdirTheKernelMountedVolatileIsRefused() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Process k = new ProcessBuilder("mount", "-t", "overlay", "overlay", "-o", m.options() + ",volatile",
                    m.mnt.toString()).inheritIO().start();
            assertEquals(0, k.waitFor());
            assertEquals(0, new ProcessBuilder("umount", m.mnt.toString()).inheritIO().start().waitFor());
            OverlayMount.Result r = OverlayMount.command("-o", m.options(), m.mnt.toString());
            assertNotEquals(0, r.status());
            assertTrue(r.output().contains("incompat feature 'volatile'") && r.output().contains("empty upper"),
                    r.output());
            assertFalse(m.isMounted());
        }
    }
}
