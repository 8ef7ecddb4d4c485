package org.dockerontop.fuse.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import jnr.ffi.Pointer;
import org.dockerontop.fuse.OverlayMount;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rename of a large lower file, on our loop. Its copy-up used to run inside the rename, while the
 * rename held the write lock of the file's node ({@code NodeLocks}: 256 stripes by node id), so
 * every request on an unrelated node whose id shared the stripe (1 in 256) waited for the whole
 * copy. The kernel overlay copies the source up before it takes its rename locks (ovl_rename:
 * ovl_copy_up, then lock_rename); ours now does too, holding only the file's read lock meanwhile.
 *
 * <p>Node ids are handed out one after another as the kernel looks names up, so 300 files looked
 * up in a row hold nodes on every stripe, one of them the renamed file's. Each is asked for an
 * xattr all through the rename: the kernel caches no xattrs of a FUSE file, so every call is a
 * GETXATTR, which takes its node's read lock.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RenameCopyUpRegressionTest {
    private static final int OTHERS = 300;

    @TempDir
    Path tmp;

    @Test
    void requestsOnNodesSharingTheRenamedFilesStripeDoNotWaitForItsCopyUp() throws Exception {
        Assumptions.assumeTrue(OverlayMount.javaLoop(), "the node locks are our loop's (libfuse has its tree lock)");
        try (OverlayMount m = prepare()) {
            probeDuring(m, () -> Files.move(m.mnt.resolve("src/big"), m.mnt.resolve("src/moved")));
            assertFalse(Files.exists(m.mnt.resolve("src/big")));
            assertArrayEquals(big.digest, BigLowerFile.digest(m.mnt.resolve("src/moved")));
            assertTrue(Files.isRegularFile(m.upper.resolve("src/moved")), "copied up and moved in the upper layer");
        }
    }

    /** The same for RENAME_EXCHANGE, which copies a lower side up as the kernel's (both, before locking). */
    @Test
    void requestsOnNodesSharingAnExchangedFilesStripeDoNotWaitForItsCopyUp() throws Exception {
        Assumptions.assumeTrue(OverlayMount.javaLoop(), "libfuse 2 answers RENAME_EXCHANGE with EINVAL");
        try (OverlayMount m = prepare()) {
            Files.writeString(m.mnt.resolve("src/small"), "small\n");
            probeDuring(m, () -> {
                if (Native.LIBC.renameat2(Native.AT_FDCWD, m.mnt.resolve("src/big").toString(), Native.AT_FDCWD,
                        m.mnt.resolve("src/small").toString(), 2) != 0) {
                    throw new IllegalStateException("RENAME_EXCHANGE: errno " + Native.errno());
                }
            });
            assertEquals("small\n", Files.readString(m.mnt.resolve("src/big")));
            assertArrayEquals(big.digest, BigLowerFile.digest(m.mnt.resolve("src/small")));
            assertTrue(Files.isRegularFile(m.upper.resolve("src/small")), "copied up and exchanged in the upper layer");
        }
    }

    /**
     * Name changes of the unrelated nodes on the renamed file's stripe: the rename held the file's
     * read lock through its copy-first step, so an unlink of one of them (a write lock) waited for
     * the copy. The copy now trades the read lock for a pin of the file's node.
     */
    @Test
    void unlinksOfNodesSharingTheRenamedFilesStripeDoNotWaitForItsCopyUp() throws Exception {
        Assumptions.assumeTrue(OverlayMount.javaLoop(), "the node locks are our loop's (libfuse has its tree lock)");
        try (OverlayMount m = prepare()) {
            assertTrue(Files.isRegularFile(m.mnt.resolve("src/big"))); // its node first, then the others'
            for (int i = 0; i < OTHERS; i++) {
                assertTrue(Files.isRegularFile(m.mnt.resolve("other/f" + i)));
            }
            AtomicLong moveNs = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread mover = new Thread(() -> {
                long t0 = System.nanoTime();
                try {
                    Files.move(m.mnt.resolve("src/big"), m.mnt.resolve("src/moved"));
                } catch (Throwable t) {
                    failed.set(t);
                }
                moveNs.set(System.nanoTime() - t0);
            });
            mover.start();
            Thread.sleep(50); // the copy under way
            long slowest = 0;
            String slowestName = null;
            for (int i = 0; i < OTHERS; i++) {
                long t0 = System.nanoTime();
                Files.delete(m.mnt.resolve("other/f" + i));
                long took = System.nanoTime() - t0;
                if (took > slowest) {
                    slowest = took;
                    slowestName = "f" + i;
                }
            }
            mover.join();
            assertEquals(null, failed.get());
            long moveMs = moveNs.get() / 1_000_000;
            String what = "move " + moveMs + " ms; " + OTHERS + " unlinks from 50 ms on, the slowest "
                    + slowest / 1_000_000 + " ms (" + slowestName + ")";
            System.out.println(what);
            assertTrue(moveMs >= 400, "the copy-up was too quick to measure: " + what);
            assertTrue(slowest / 1_000_000 < moveMs / 2, "an unlink waited for the copy-up: " + what);
            assertArrayEquals(big.digest, BigLowerFile.digest(m.mnt.resolve("src/moved")));
        }
    }

    private BigLowerFile big;

    /** A lower src/big (see {@link BigLowerFile}) and OTHERS small files in other/, mounted. */
    private OverlayMount prepare() throws Exception {
        OverlayMount m = new OverlayMount(tmp);
        big = BigLowerFile.write(Files.createDirectories(m.lower.resolve("src")).resolve("big"), tmp);
        Path others = Files.createDirectories(m.lower.resolve("other"));
        for (int i = 0; i < OTHERS; i++) {
            Files.writeString(others.resolve("f" + i), "other " + i + "\n");
        }
        return m.mount();
    }

    private interface Move {
        void run() throws Exception;
    }

    /**
     * Looks src/big up, then the OTHERS files (nodes on every stripe), and asks each of them for an
     * xattr again and again while {@code move} copies src/big up; fails if one of them waited.
     */
    private static void probeDuring(OverlayMount m, Move move) throws Exception {
        assertTrue(Files.isRegularFile(m.mnt.resolve("src/big"))); // its node first, then the others'
        String[] paths = new String[OTHERS];
        for (int i = 0; i < OTHERS; i++) {
            paths[i] = m.mnt.resolve("other/f" + i).toString();
            assertEquals(-1, Native.LIBC.lgetxattr(paths[i], "user.none", (Pointer) null, 0));
            assertEquals(Errno.ENODATA, Native.errno());
        }
        AtomicLong moveNs = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread mover = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                move.run();
            } catch (Throwable t) {
                failed.set(t);
            }
            moveNs.set(System.nanoTime() - t0);
        });
        long slowest = 0;
        String slowestPath = null;
        int rounds = 0;
        mover.start();
        while (mover.isAlive()) {
            for (String p : paths) {
                long t0 = System.nanoTime();
                Native.LIBC.lgetxattr(p, "user.none", (Pointer) null, 0);
                long took = System.nanoTime() - t0;
                if (took > slowest) {
                    slowest = took;
                    slowestPath = p;
                }
            }
            rounds++;
        }
        mover.join();
        assertEquals(null, failed.get());
        long moveMs = moveNs.get() / 1_000_000;
        long slowestMs = slowest / 1_000_000;
        String what = "move " + moveMs + " ms; " + rounds + " rounds of " + OTHERS
                + " GETXATTRs beside it, the slowest " + slowestMs + " ms (" + slowestPath + ")";
        System.out.println(what);
        // a copy too fast to tell waiting from not would prove nothing
        assertTrue(moveMs >= 400, "the copy-up was too quick to measure: " + what);
        assertTrue(slowestMs < moveMs / 3, "a request on an unrelated node waited for the copy-up: " + what);
    }
}
