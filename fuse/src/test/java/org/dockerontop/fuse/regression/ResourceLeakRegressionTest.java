package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.*;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import org.dockerontop.fuse.parity.LayerDirs;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Layouts;
import org.dockerontop.fuse.parity.LibC;
import org.dockerontop.fuse.parity.Overlay;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Template;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #210 (fds leaked on mkdir/rmdir), #238 (memory), #378 (mmap): the FUSE server's open
 * file descriptors must not grow over 2,000 mkdir/rmdir cycles (new dirs, dirs inside lower dirs, a lower
 * dir removed and re-created as opaque) or 2,000 open/mmap/close cycles of lower and upper files, and its
 * RSS must stay bounded (generous bound: a JVM's heap may settle, a leak grows with every cycle).
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 600, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResourceLeakRegressionTest {
    static final int CYCLES = 2000;
    static final int FD_SLACK = 8;
    static final long RSS_GROWTH_LIMIT_KB = 64 * 1024;

    static long openFds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        }
    }

    /**
     * The server's open descriptors once they are down to {@code atMost}, or after 10 s. The kernel
     * sends RELEASE asynchronously after the last close(2), so right after a workload exits a
     * loaded server may still have some of its files open; a leak keeps them open.
     */
    static long settledFds(long pid, long atMost) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        long n = openFds(pid);
        while (n > atMost && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
            n = openFds(pid);
        }
        return n;
    }

    static long rssKb(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        throw new IOException("no VmRSS for " + pid);
    }

    private static void mkdirRmdirCycles(Path mnt, int n) throws IOException {
        LibC c = LibC.INSTANCE;
        for (int i = 0; i < n; i++) {
            String[] dirs = {mnt + "/cycle" + i, mnt + "/dir/cycle" + i, mnt + "/dir/sub/deeper/c" + i};
            for (String d : dirs) check(c.mkdir(d, 0755), "mkdir " + d);
            check(c.mkdir(dirs[0] + "/inner", 0700), "mkdir inner");
            check(c.rmdir(dirs[0] + "/inner"), "rmdir inner");
            for (String d : dirs) check(c.rmdir(d), "rmdir " + d);
            // a lower directory removed (whiteout) and made again (opaque), alternately
            String empty = mnt + "/empty";
            check(i % 2 == 0 ? c.rmdir(empty) : c.mkdir(empty, 0755), "rmdir/mkdir " + empty);
        }
    }

    private static void openMmapCycles(Path mnt, int n) throws IOException {
        LibC c = LibC.INSTANCE;
        for (int i = 0; i < n; i++) {
            int fd = c.open(mnt + "/file.txt", O_RDONLY, 0);
            check(fd, "open file.txt");
            c.close(fd);
            fd = c.open(mnt + "/upper" + (i % 10), O_RDWR | O_CREAT, 0644);
            check(fd, "open upper");
            c.close(fd);
            if (i % 10 == 0) {
                try (FileChannel ch = FileChannel.open(Path.of(mnt + "/ro.txt"), StandardOpenOption.READ)) {
                    MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, 4);
                    m.get(0);
                    Unmap.now(m);
                }
            }
        }
    }

    private static void check(long rc, String what) throws IOException {
        if (rc < 0) throw new IOException(what + ": " + org.dockerontop.fuse.parity.Sys.name(LibC.errno()));
    }

    @Test
    void noFdOrMemoryGrowthOverManyCycles() throws Exception {
        Overlay fuse = Overlay.underTest();
        Path base = Parity.tempBase();
        try {
            LayerDirs d = Parity.prepare(base.resolve("leak"), Layouts.LOWER, Template.EMPTY);
            try (Overlay.Mounted m = fuse.mount(d)) {
                long pid = m.serverPid();
                Assumptions.assumeTrue(pid > 0, "the mount under test has no server process (kernel control run)");
                mkdirRmdirCycles(m.mnt(), 200);
                openMmapCycles(m.mnt(), 200);
                long fds0 = openFds(pid);
                long rss0 = rssKb(pid);
                mkdirRmdirCycles(m.mnt(), CYCLES);
                long fds1 = settledFds(pid, fds0 + FD_SLACK);
                openMmapCycles(m.mnt(), CYCLES);
                long fds2 = settledFds(pid, fds0 + FD_SLACK);
                mkdirRmdirCycles(m.mnt(), CYCLES);
                openMmapCycles(m.mnt(), CYCLES);
                long fds3 = settledFds(pid, fds0 + FD_SLACK);
                long rss3 = rssKb(pid);
                System.out.printf("FUSE server %d: fds %d -> %d -> %d -> %d, RSS %d KiB -> %d KiB%n",
                        pid, fds0, fds1, fds2, fds3, rss0, rss3);
                assertAll(
                        () -> assertTrue(fds1 <= fds0 + FD_SLACK, "fds grew over " + CYCLES + " mkdir/rmdir cycles: " + fds0 + " -> " + fds1),
                        () -> assertTrue(fds2 <= fds0 + FD_SLACK, "fds grew over " + CYCLES + " open/mmap cycles: " + fds0 + " -> " + fds2),
                        () -> assertTrue(fds3 <= fds0 + FD_SLACK, "fds grew over all cycles: " + fds0 + " -> " + fds3),
                        () -> assertTrue(rss3 - rss0 <= RSS_GROWTH_LIMIT_KB,
                                "RSS grew by " + (rss3 - rss0) + " KiB over " + 2 * CYCLES + " cycles of each kind (" + rss0 + " -> " + rss3 + " KiB)"));
                // and the mount is still right afterwards
                assertEquals(java.util.List.of(), leftovers(m.mnt()));
            }
        } finally {
            Parity.cleanUp(base);
        }
    }

    /**
     * A base on another filesystem than the upper layer (a data disk, NFS) is common, and there the
     * kernel refuses copy_file_range between the layers (EXDEV): copy-ups copy through a buffer. It
     * was allocated per copy-up and freed only by the garbage collector: 2,000 appends to 128 KiB
     * base files took the server from 64 to 417 MiB.
     */
    @Test
    void copyUpsFromABaseOnAnotherFilesystemDoNotGrowTheServer() throws Exception {
        Overlay fuse = Overlay.underTest();
        Path base = Parity.tempBase();
        LayerDirs d = LayerDirs.create(base.resolve("xfs"));
        org.dockerontop.fuse.parity.Cmd.ok("mount", "-t", "tmpfs", "-o", "size=256m,mode=0755", "dot-leak", d.lower().toString());
        try {
            byte[] data = new byte[128 << 10];
            new java.util.Random(1).nextBytes(data);
            for (int i = 0; i < COPY_UPS; i++) {
                Files.write(d.lower().resolve("f" + i), data);
            }
            try (Overlay.Mounted m = fuse.mount(d)) {
                long pid = m.serverPid();
                Assumptions.assumeTrue(pid > 0, "the mount under test has no server process (kernel control run)");
                for (int i = 0; i < 50; i++) {
                    Files.writeString(m.mnt().resolve("f" + i), "x", StandardOpenOption.APPEND);
                }
                long rss0 = rssKb(pid);
                for (int i = 50; i < COPY_UPS; i++) {
                    Files.writeString(m.mnt().resolve("f" + i), "x", StandardOpenOption.APPEND);
                }
                long rss1 = rssKb(pid);
                System.out.printf("FUSE server %d: RSS %d KiB -> %d KiB over %d copy-ups across filesystems%n",
                        pid, rss0, rss1, COPY_UPS - 50);
                assertTrue(rss1 - rss0 <= RSS_GROWTH_LIMIT_KB, "RSS grew by " + (rss1 - rss0) + " KiB over "
                        + (COPY_UPS - 50) + " copy-ups (" + rss0 + " -> " + rss1 + " KiB)");
                assertEquals(data.length + 1, Files.size(d.upper().resolve("f" + (COPY_UPS - 1))));
            }
        } finally {
            org.dockerontop.fuse.parity.Cmd.run("umount", d.lower().toString());
            Parity.cleanUp(base);
        }
    }

    static final int COPY_UPS = 1000;

    private static java.util.List<String> leftovers(Path mnt) throws IOException {
        try (Stream<Path> s = Files.list(mnt)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("cycle")).sorted().toList();
        }
    }
}
