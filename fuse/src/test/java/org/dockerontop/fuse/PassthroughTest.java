package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FUSE passthrough: which open files the kernel reads itself (proved by reading them while the
 * server is stopped, which a daemon-served read cannot survive), and that mixing served and
 * passthrough opens of one file never fails an open nor shows stale data.
 */
class PassthroughTest {
    private static final byte[] DATA = pattern(3 << 20);

    @TempDir
    Path tmp;
    OverlayMount m;
    private long frozen;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
        assumeTrue(kernelHasPassthrough(), "the kernel has no FUSE passthrough (6.9+, CONFIG_FUSE_PASSTHROUGH)");
        m = new OverlayMount(tmp);
        Files.write(m.lower.resolve("lowerfile"), DATA);
        Files.write(m.upper.resolve("upperfile"), DATA);
    }

    @AfterEach
    void tearDown() throws Exception {
        thaw();
        if (m != null) {
            m.close();
        }
    }

    @Test
    void upperFilesAreReadByTheKernelWhileLowerOnesStayWithTheDaemon() throws Exception {
        m.mount();
        try (FileChannel upper = FileChannel.open(m.mnt.resolve("upperfile"));
                FileChannel lower = FileChannel.open(m.mnt.resolve("lowerfile"))) {
            freeze();
            assertArrayEquals(DATA, readAllWithin(upper, 20));
            CompletableFuture<byte[]> lowerRead = CompletableFuture.supplyAsync(() -> readAll(lower));
            // a lower file is served by the daemon by default (so that a copy-up can switch it),
            // and the daemon is stopped
            assertThrows(lowerRead, 500);
            thaw();
            assertArrayEquals(DATA, lowerRead.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void writesThroughPassthroughAreSeenByEveryOpenAndAfterRemount() throws Exception {
        m.mount();
        Path f = m.mnt.resolve("upperfile");
        try (FileChannel reader = FileChannel.open(f);
                FileChannel writer = FileChannel.open(f, StandardOpenOption.WRITE)) {
            writer.write(ByteBuffer.wrap("changed".getBytes(StandardCharsets.US_ASCII)), 1 << 20);
            ByteBuffer b = ByteBuffer.allocate(7);
            reader.read(b, 1 << 20);
            assertEquals("changed", new String(b.array(), StandardCharsets.US_ASCII));
        }
        byte[] expected = DATA.clone();
        System.arraycopy("changed".getBytes(StandardCharsets.US_ASCII), 0, expected, 1 << 20, 7);
        assertArrayEquals(expected, Files.readAllBytes(m.upper.resolve("upperfile")));
        m.unmount();
        m.mount();
        assertArrayEquals(expected, Files.readAllBytes(f));
    }

    @Test
    void aLowerFileReadBeforeItsCopyUpShowsTheWritesMadeByPassthrough() throws Exception {
        m.mount();
        Path f = m.mnt.resolve("lowerfile");
        // pages of the lower version in the node's own cache...
        assertArrayEquals(DATA, Files.readAllBytes(f));
        // ...then written by passthrough (the open copies the file up), then given a second name,
        // which makes the next open daemon-served again: it must not read the old cached pages
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            w.write(ByteBuffer.wrap("NEW!".getBytes(StandardCharsets.US_ASCII)), 0);
        }
        Files.createLink(m.mnt.resolve("second"), f);
        byte[] expected = DATA.clone();
        System.arraycopy("NEW!".getBytes(StandardCharsets.US_ASCII), 0, expected, 0, 4);
        assertArrayEquals(expected, Files.readAllBytes(f));
        assertArrayEquals(expected, Files.readAllBytes(m.mnt.resolve("second")));
    }

    @Test
    void aCopyUpUnderAnOpenReaderNeitherFailsNorHidesTheChange() throws Exception {
        m.mount();
        try (RandomAccessFile reader = new RandomAccessFile(m.mnt.resolve("lowerfile").toFile(), "r")) {
            reader.readFully(new byte[4096]);
            // the reader's open is daemon-served: the writer's (on the copied-up file) must be too
            try (RandomAccessFile writer = new RandomAccessFile(m.mnt.resolve("lowerfile").toFile(), "rw")) {
                writer.write("HEAD".getBytes(StandardCharsets.US_ASCII));
                try (RandomAccessFile second = new RandomAccessFile(m.mnt.resolve("lowerfile").toFile(), "rw")) {
                    second.seek(4);
                    second.write("TAIL".getBytes(StandardCharsets.US_ASCII));
                }
            }
            byte[] b = new byte[8];
            reader.seek(0);
            reader.readFully(b);
            assertEquals("HEADTAIL", new String(b, StandardCharsets.US_ASCII));
        }
        // all closed: the next opens of the (now upper) file go by passthrough and see it too
        byte[] now = Files.readAllBytes(m.mnt.resolve("lowerfile"));
        assertEquals("HEADTAIL", new String(now, 0, 8, StandardCharsets.US_ASCII));
        assertArrayEquals(DATA, Files.readAllBytes(m.lower.resolve("lowerfile")));
    }

    @Test
    void onAReadOnlyMountLowerFilesAreReadByTheKernelToo() throws Exception {
        m.mount(",ro");
        try (FileChannel lower = FileChannel.open(m.mnt.resolve("lowerfile"));
                FileChannel upper = FileChannel.open(m.mnt.resolve("upperfile"))) {
            freeze();
            assertArrayEquals(DATA, readAllWithin(lower, 20));
            assertArrayEquals(DATA, readAllWithin(upper, 20));
        }
    }

    @Test
    void policyOffServesEverythingFromTheDaemon() throws Exception {
        m.mount(",passthrough=off");
        try (FileChannel upper = FileChannel.open(m.mnt.resolve("upperfile"))) {
            freeze();
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readAll(upper));
            assertThrows(read, 500);
            thaw();
            assertArrayEquals(DATA, read.get(20, TimeUnit.SECONDS));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void assertThrows(CompletableFuture<byte[]> read, long millis) throws Exception {
        try {
            read.get(millis, TimeUnit.MILLISECONDS);
            throw new AssertionError("the read completed while the server was stopped");
        } catch (TimeoutException expected) {
            assertFalse(read.isDone());
        }
    }

    private static byte[] readAllWithin(FileChannel ch, int seconds) throws Exception {
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readAll(ch));
        try {
            return read.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the read waited for the stopped server: not passed through", e);
        }
    }

    private static byte[] readAll(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate((int) ch.size());
            long pos = 0;
            while (b.hasRemaining()) {
                int n = ch.read(b, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
            return b.array();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Stops the mount's server, so that only what the kernel serves itself can still be read. */
    private void freeze() throws Exception {
        frozen = ServerProcess.of(m.mnt);
        ServerProcess.freeze(frozen);
    }

    private void thaw() throws Exception {
        if (frozen != 0) {
            ServerProcess.thaw(frozen);
            frozen = 0;
        }
    }

    private static boolean kernelHasPassthrough() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/kallsyms"))) {
            // "address type name [module]"
            return lines.map(l -> l.split("\\s+")).anyMatch(f -> f.length >= 3 && f[2].equals("fuse_passthrough_read_iter"));
        }
    }

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + (i >> 12));
        }
        return b;
    }
}
