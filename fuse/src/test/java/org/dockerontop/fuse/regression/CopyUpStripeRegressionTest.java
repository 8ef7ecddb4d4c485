package org.dockerontop.fuse.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.dockerontop.fuse.OverlayMount;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy-up of a large lower file used to hold its parent directory's {@code OverlayFs} lock
 * stripe (64, by the directory path's hash) for the whole copy, so a create in that directory, or in
 * any of the 1 in 64 directories sharing its stripe, waited for a copy of maybe gigabytes. The
 * kernel overlay copies into a workdir tmpfile holding no parent lock and takes it only to link
 * the copy into place; ours now does too. Both loops (libfuse's tree lock lets a create in src/ run
 * beside an OPEN of src/big as well).
 *
 * <p>The creates go into src/ itself and into 100 directories d0..d99, among which d22, d44, d66
 * and d88 share /src's stripe (String.hashCode mod 64), each made upper before the copy starts.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CopyUpStripeRegressionTest {
    private static final int DIRS = 100;

    @TempDir
    Path tmp;

    private BigLowerFile big;

    @Test
    void createsBesideACopyUpInAnOpenForWritingDoNotWaitForIt() throws Exception {
        try (OverlayMount m = prepare()) {
            createsDuring(m, true, () -> {
                try (FileChannel c = FileChannel.open(m.mnt.resolve("src/big"), StandardOpenOption.WRITE)) {
                    assertEquals(big.size, c.size());
                }
            });
            assertTrue(Files.isRegularFile(m.upper.resolve("src/big")), "copied up");
            assertArrayEquals(big.digest, BigLowerFile.digest(m.mnt.resolve("src/big")));
            assertNothingLeftInWorkdir(m);
        }
    }

    /**
     * A rename copies its source up first, before its locks; creates in src/ wait for the rename
     * anyway (the kernel holds src's lock through the RENAME request, on its own overlay too), so
     * only the other directories' count.
     */
    @Test
    void createsBesideARenamesCopyUpDoNotWaitForIt() throws Exception {
        try (OverlayMount m = prepare()) {
            createsDuring(m, false, () -> Files.move(m.mnt.resolve("src/big"), m.mnt.resolve("src/moved")));
            assertFalse(Files.exists(m.mnt.resolve("src/big")));
            assertArrayEquals(big.digest, BigLowerFile.digest(m.mnt.resolve("src/moved")));
            assertNothingLeftInWorkdir(m);
        }
    }

    /**
     * Several OPENs for writing of one lower file at once, each writing its own block: one copy-up
     * wins, the others wait for it and open its result, so every write is there and nothing of a
     * copy is left in the workdir.
     */
    @Test
    void concurrentCopyUpsOfOneFileKeepEveryWrite() throws Exception {
        OverlayMount m = new OverlayMount(tmp);
        int writers = 6;
        byte[] original = new byte[32 << 20];
        new java.util.Random(7).nextBytes(original);
        Files.createDirectories(m.lower.resolve("src"));
        Files.write(m.lower.resolve("src/shared"), original);
        try (m) {
            m.mount();
            Path shared = m.mnt.resolve("src/shared");
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int block = i;
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        try (FileChannel c = FileChannel.open(shared, StandardOpenOption.WRITE)) {
                            c.write(ByteBuffer.wrap(marker(block)), (long) block << 20);
                        }
                    } catch (Throwable e) {
                        failed.compareAndSet(null, e);
                    }
                });
                t.start();
                threads.add(t);
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(null, failed.get());
            byte[] expected = original.clone();
            for (int i = 0; i < writers; i++) {
                byte[] mk = marker(i);
                System.arraycopy(mk, 0, expected, i << 20, mk.length);
            }
            assertArrayEquals(expected, Files.readAllBytes(shared));
            assertArrayEquals(expected, Files.readAllBytes(m.upper.resolve("src/shared")));
            assertNothingLeftInWorkdir(m);
        }
    }

    /**
     * On our loop an OPEN holds its node's read lock ({@code NodeLocks}: 256 stripes by node id)
     * while it runs; an unlink of an unrelated node sharing that stripe needs its write lock, so it
     * waited for the whole copy-up (and requests queued behind it with it). Now the copy trades the
     * lock for a pin of its own node. 300 files looked up right after the big one hold nodes on
     * every stripe; each is unlinked while the OPEN copies.
     */
    @Test
    void unlinksOfNodesSharingTheFilesLockStripeDoNotWaitForItsCopyUp() throws Exception {
        Assumptions.assumeTrue(OverlayMount.javaLoop(), "the node locks are our loop's (libfuse has its tree lock)");
        OverlayMount m = new OverlayMount(tmp);
        big = BigLowerFile.write(Files.createDirectories(m.lower.resolve("src")).resolve("big"), tmp);
        Path others = Files.createDirectories(m.lower.resolve("other"));
        for (int i = 0; i < 300; i++) {
            Files.writeString(others.resolve("f" + i), "f\n");
        }
        try (m) {
            m.mount();
            assertTrue(Files.isRegularFile(m.mnt.resolve("src/big"))); // its node first, then the others'
            List<Path> files = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                files.add(m.mnt.resolve("other/f" + i));
                assertTrue(Files.isRegularFile(files.get(i)));
            }
            AtomicLong copyNs = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread copier = new Thread(() -> {
                long t0 = System.nanoTime();
                try (FileChannel c = FileChannel.open(m.mnt.resolve("src/big"), StandardOpenOption.WRITE)) {
                    assertEquals(big.size, c.size());
                } catch (Throwable t) {
                    failed.set(t);
                }
                copyNs.set(System.nanoTime() - t0);
            });
            copier.start();
            Thread.sleep(50); // the OPEN under way
            long slowest = 0;
            Path slowestPath = null;
            for (Path f : files) {
                long t0 = System.nanoTime();
                Files.delete(f);
                long took = System.nanoTime() - t0;
                if (took > slowest) {
                    slowest = took;
                    slowestPath = f;
                }
            }
            copier.join();
            assertEquals(null, failed.get());
            long copyMs = copyNs.get() / 1_000_000;
            String what = "copy-up " + copyMs + " ms (" + (big.size >> 20) + " MiB); 300 unlinks from 50 ms on, the slowest "
                    + slowest / 1_000_000 + " ms (" + slowestPath.getFileName() + ")";
            System.out.println(what);
            assertTrue(copyMs >= 400, "the copy-up was too quick to measure: " + what);
            assertTrue(slowest / 1_000_000 < copyMs / 2, "an unlink waited for the copy-up: " + what);
            assertArrayEquals(big.digest, BigLowerFile.digest(m.upper.resolve("src/big")));
        }
    }

    private static byte[] marker(int i) {
        return ("written by writer " + i + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A lower src/big (see {@link BigLowerFile}) and DIRS directories, each with one file; mounted. */
    private OverlayMount prepare() throws Exception {
        OverlayMount m = new OverlayMount(tmp);
        big = BigLowerFile.write(Files.createDirectories(m.lower.resolve("src")).resolve("big"), tmp);
        for (int i = 0; i < DIRS; i++) {
            Files.writeString(Files.createDirectories(m.lower.resolve("d" + i)).resolve("f"), "f\n");
        }
        return m.mount();
    }

    private interface Copying {
        void run() throws Exception;
    }

    /**
     * Copies every directory up (a first create in each), then creates files in them (and in src/
     * if {@code inSrc}) one after another while {@code copying} copies src/big up; fails if one of
     * those creates waited for the copy (see below).
     */
    private void createsDuring(OverlayMount m, boolean inSrc, Copying copying) throws Exception {
        List<String> dirs = new ArrayList<>();
        if (inSrc) {
            dirs.add(m.mnt.resolve("src").toString());
        }
        for (int i = 0; i < DIRS; i++) {
            dirs.add(m.mnt.resolve("d" + i).toString());
        }
        for (String d : dirs) {
            create(d + "/warm");
        }
        AtomicLong copyNs = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread copier = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                copying.run();
            } catch (Throwable t) {
                failed.set(t);
            }
            copyNs.set(System.nanoTime() - t0);
        });
        List<long[]> times = new ArrayList<>(); // began (ns after the copy's start), took
        List<String> paths = new ArrayList<>();
        long start = System.nanoTime();
        copier.start();
        for (int round = 0; copier.isAlive(); round++) {
            for (String d : dirs) {
                String p = d + "/n" + round;
                long t0 = System.nanoTime();
                create(p);
                times.add(new long[] {t0 - start, System.nanoTime() - t0});
                paths.add(p);
            }
        }
        copier.join();
        assertEquals(null, failed.get());
        long copyNsTotal = copyNs.get();
        // a create that waits for the copy begins at its start (at the first directory on the
        // stripe) and waits all of it (3,429 of 3,432 ms before the fix). The copy's closing fsync
        // has stalled creates anywhere on the loaded machine for a while (289-727 ms, beginning
        // 54-84% into copies of 1.2-1.8 s), as it would beside the kernel overlay's copy-up: so
        // only the creates begun in the first third of the copy are judged, against half of it
        int judged = -1;
        int slowest = -1;
        for (int i = 0; i < times.size(); i++) {
            if (slowest < 0 || times.get(i)[1] > times.get(slowest)[1]) {
                slowest = i;
            }
            if (times.get(i)[0] < copyNsTotal / 3 && (judged < 0 || times.get(i)[1] > times.get(judged)[1])) {
                judged = i;
            }
        }
        long copyMs = copyNsTotal / 1_000_000;
        String what = "copy-up " + copyMs + " ms (" + (big.size >> 20) + " MiB); " + times.size()
                + " creates beside it, the slowest " + describe(times, paths, slowest)
                + "; of those begun in its first third " + describe(times, paths, judged);
        System.out.println(what);
        // a copy too fast to tell waiting from not would prove nothing
        assertTrue(copyMs >= 400, "the copy-up was too quick to measure: " + what);
        assertTrue(judged >= 0 && times.get(judged)[1] / 1_000_000 < copyMs / 2, "a create waited for the copy-up: " + what);
    }

    private static String describe(List<long[]> times, List<String> paths, int i) {
        return i < 0 ? "none" : times.get(i)[1] / 1_000_000 + " ms (" + paths.get(i).replaceAll(".*/mnt/", "")
                + ", from " + times.get(i)[0] / 1_000_000 + " ms on)";
    }

    private static void create(String path) {
        int fd = Native.LIBC.open(path, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, 0644);
        if (fd < 0) {
            throw new IllegalStateException("create " + path + ": errno " + Native.errno());
        }
        Native.LIBC.close(fd);
    }

    /** A copy-up that lost, or failed, leaves no copy behind (the kernel's own work/ subdirectory aside). */
    private static void assertNothingLeftInWorkdir(OverlayMount m) throws Exception {
        try (Stream<Path> s = Files.list(m.work)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("#dot")).toList();
            assertEquals(List.of(), left, "left in the workdir");
        }
    }
}
