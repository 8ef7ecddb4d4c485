package org.dockerontop.fuse.regression;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.SplittableRandom;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Assumptions;

/**
 * A lower file of random data large enough that copying it up takes about {@link #TARGET_MS} on
 * this machine, for tests that measure what waits during a copy-up: sized from the rate of a copy
 * of its first {@link #STEP} bytes made the way a copy-up makes it (copy_file_range in 8 MiB
 * chunks, then fsync) into a file beside the test's upper layer. A fixed 1 GiB took 1.5-4 s on the
 * 2-core VM these tests were written on, but would copy too fast to tell waiting from not on a
 * faster disk.
 */
final class BigLowerFile {
    /** How long the copy-up should take: well above the 400 ms the tests need, with the noise of a shared machine. */
    static final long TARGET_MS = 1_500;
    static final long STEP = 256L << 20;
    private static final long MAX = 16L << 30;
    private static final int BLOCK = 1 << 20;

    final Path path;
    final long size;
    final byte[] digest;

    private BigLowerFile(Path path, long size, byte[] digest) {
        this.path = path;
        this.size = size;
        this.digest = digest;
    }

    /**
     * Writes the file at {@code path} (in the lower layer), calibrating in {@code scratchDir} (on
     * the upper layer's filesystem). Aborts the test where copy_file_range shares extents instead
     * of copying (a reflink: the copy-up then takes no time to measure).
     */
    static BigLowerFile write(Path path, Path scratchDir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(42);
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            append(out, STEP, random, md);
            out.force(true);
            long ms = copyMillis(path, scratchDir.resolve("calibration"));
            Assumptions.assumeTrue(ms >= 10, "a copy of " + (STEP >> 20) + " MiB took " + ms
                    + " ms: copy_file_range shares extents here (reflink), no copy-up takes time to measure");
            long wanted = STEP * TARGET_MS / Math.max(1, ms);
            long room = Files.getFileStore(scratchDir).getUsableSpace() / 4;
            long size = Math.max(STEP, Math.min(Math.min(MAX, room), wanted)) / BLOCK * BLOCK;
            append(out, size - STEP, random, md);
            out.force(true);
            System.out.println("copy of " + (STEP >> 20) + " MiB: " + ms + " ms, so a lower file of "
                    + (size >> 20) + " MiB");
            return new BigLowerFile(path, size, md.digest());
        }
    }

    /** Bytes no hole or repeated block can shortcut. */
    private static void append(FileChannel out, long bytes, SplittableRandom random, MessageDigest md)
            throws IOException {
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        for (long done = 0; done < bytes; done += BLOCK) {
            block.clear();
            while (block.hasRemaining()) {
                block.putLong(random.nextLong());
            }
            md.update(block.array());
            block.flip();
            while (block.hasRemaining()) {
                out.write(block);
            }
        }
    }

    /** The milliseconds a copy of {@code src} to {@code dst} takes as a copy-up makes it; removes the copy. */
    private static long copyMillis(Path src, Path dst) throws IOException {
        int in = Native.LIBC.open(src.toString(), Native.O_RDONLY, 0);
        int out = Native.LIBC.open(dst.toString(), Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, 0600);
        try {
            if (in < 0 || out < 0) {
                throw new IOException("open for the calibration copy: errno " + Native.errno());
            }
            Pointer offs = Native.allocate(16);
            offs.putLong(0, 0);
            offs.putLong(8, 0);
            long size = Files.size(src);
            long t0 = System.nanoTime();
            for (long p = 0; p < size; ) {
                long n = Native.LIBC.copy_file_range(in, offs, out, offs.slice(8), Math.min(8L << 20, size - p), 0);
                if (n <= 0) {
                    throw new IOException("copy_file_range: errno " + Native.errno());
                }
                p += n;
            }
            if (Native.LIBC.fsync(out) != 0) {
                throw new IOException("fsync: errno " + Native.errno());
            }
            return (System.nanoTime() - t0) / 1_000_000;
        } finally {
            Native.LIBC.close(in);
            Native.LIBC.close(out);
            Files.deleteIfExists(dst);
        }
    }

    /** The SHA-256 of a file's contents. */
    static byte[] digest(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[BLOCK];
        try (var in = Files.newInputStream(p)) {
            for (int n; (n = in.read(block)) > 0; ) {
                md.update(block, 0, n);
            }
        }
        return md.digest();
    }
}
