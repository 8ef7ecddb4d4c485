package org.dockerontop.fuse.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import org.dockerontop.fuse.parity.LayerDirs;
import org.dockerontop.fuse.parity.Layouts;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Overlay;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Template;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A write through one name of a hard-linked file is read through another name as soon as the
 * write returned, also while other processes change other hard-linked files of the mount at the
 * same time. Each name is a kernel inode of its own with its own page cache (libfuse 2), which the
 * server drops before it answers the write; found by bench/hardlink-check.py with three checkers
 * at once: when another worker was dropping another file's pages at that moment, the drop was
 * left for after the reply, and a read right after the write saw the old data (or, after a
 * truncate, the old size) for a moment. Same-size writes of whole pages, so that nothing but the drop
 * can make the kernel fetch the data again. The kernel overlay runs the same as the control.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HardLinkConcurrencyRegressionTest {
    private static final int WRITERS = 4;
    private static final int ROUNDS = 4000;
    private static final int PAGE = 4096;
    /** Bytes per write and read: 16 pages, so that dropping them takes a while. */
    private static final int CHUNK = 16 * PAGE;
    private static final int SIZE = 16 * CHUNK;

    @Test
    void writesToDifferentLinkedFilesAtOnceAreReadThroughTheOtherNames() throws Exception {
        for (Overlay overlay : List.of(Overlay.kernel(), Overlay.underTest())) {
            Path base = Parity.tempBase();
            try {
                LayerDirs d = Parity.prepare(base.resolve(overlay.name()), Layouts.LOWER, Template.EMPTY);
                try (Overlay.Mounted m = overlay.mount(d)) {
                    List<String> wrong = run(m.mnt());
                    assertEquals(List.of(), wrong, overlay.name() + ": reads through another name after a write returned");
                }
            } finally {
                Parity.cleanUp(base);
            }
        }
    }

    /** Runs the writers at once; what each saw wrong (at most a few each). */
    private static List<String> run(Path mnt) throws Exception {
        Path dir = Files.createDirectories(mnt.resolve("linked"));
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            Path a = dir.resolve("f" + i);
            Path b = dir.resolve("g" + i);
            Files.write(a, new byte[SIZE]);
            Files.createLink(b, a);
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    writeAndReadBack(id, a, b, wrong);
                } catch (Exception e) {
                    wrong.add("writer " + id + ": " + e);
                }
            }, "writer-" + i);
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        return new ArrayList<>(wrong);
    }

    private static void writeAndReadBack(int id, Path a, Path b, ConcurrentLinkedQueue<String> wrong) throws Exception {
        int mistakes = 0;
        try (FileChannel w = FileChannel.open(a, StandardOpenOption.WRITE);
                FileChannel r = FileChannel.open(b, StandardOpenOption.READ)) {
            ByteBuffer out = ByteBuffer.allocateDirect(CHUNK);
            ByteBuffer in = ByteBuffer.allocateDirect(CHUNK);
            byte[] want = new byte[CHUNK];
            byte[] got = new byte[CHUNK];
            long size = SIZE;
            for (int round = 1; round <= ROUNDS && mistakes < 3; round++) {
                if (round % 5 == 0) {
                    // a truncate through one name: the other's size follows at once
                    size = size == SIZE ? SIZE - CHUNK : SIZE;
                    w.truncate(size);
                    if (size == SIZE) {
                        // truncate(2) cannot lengthen through FileChannel: write the last page
                        out.clear();
                        out.put(new byte[CHUNK]).flip();
                        while (out.hasRemaining()) {
                            w.write(out, SIZE - CHUNK + out.position());
                        }
                    }
                    long seen = r.size();
                    if (seen != size) {
                        wrong.add("writer " + id + " round " + round + ": size " + seen + " through the other name, expected " + size);
                        mistakes++;
                    }
                    continue;
                }
                long offset = (long) ((round * 7 + id) % (size / CHUNK)) * CHUNK;
                Arrays.fill(want, (byte) (round * 31 + id));
                out.clear();
                out.put(want).flip();
                while (out.hasRemaining()) {
                    w.write(out, offset + out.position());
                }
                in.clear();
                while (in.hasRemaining() && r.read(in, offset + in.position()) > 0) {
                    // until the page is read
                }
                in.flip().get(got, 0, in.limit());
                if (in.limit() != CHUNK || !Arrays.equals(want, got)) {
                    wrong.add("writer " + id + " round " + round + ": read " + in.limit() + " bytes at " + offset
                            + " through the other name: " + (got[0] & 0xff) + ", expected " + (want[0] & 0xff));
                    mistakes++;
                }
            }
        }
    }
}
