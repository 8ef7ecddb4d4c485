package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * READ and WRITE as {@link DataRequests} answers them: short reads at the end of a file, reads past
 * it, reads and writes of the largest request size, and a failing write answered with its errno
 * while the mount keeps serving.
 */
class DataRequestsTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void root() {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @Test
    void directReadsOfOddSizesEndShortAtTheEndOfTheFileAndEmptyPastIt() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            byte[] data = random(10_000 + 3 * 1024 * 1024 + 77); // more than one 1 MiB request, odd tail
            Files.write(m.lower.resolve("f"), data);
            m.mount();
            Path f = m.mnt.resolve("f");
            Path out = tmp.resolve("out");
            // O_DIRECT: every read(2) becomes READs of exactly its size and offset (no readahead)
            for (int bs : new int[] {1000, 4096, 131_072, 1_048_576, 3_000_000}) {
                OverlayMount.Result r = OverlayMount.sh(false,
                        "dd if=" + f + " of=" + out + " iflag=direct bs=" + bs + " status=none");
                assertEquals(0, r.status(), r.output());
                assertArrayEquals(data, Files.readAllBytes(out), "bs=" + bs);
            }
            // starting in the last block, and past the end
            OverlayMount.Result r = OverlayMount.sh(false, "dd if=" + f + " of=" + out
                    + " iflag=direct,skip_bytes bs=1000 skip=" + (data.length - 5) + " status=none");
            assertEquals(0, r.status(), r.output());
            assertArrayEquals(Arrays.copyOfRange(data, data.length - 5, data.length), Files.readAllBytes(out));
            r = OverlayMount.sh(false, "dd if=" + f + " of=" + out
                    + " iflag=direct,skip_bytes bs=1000 skip=" + (data.length + 4096) + " status=none");
            assertEquals(0, r.status(), r.output());
            assertEquals(0, Files.size(out));
        }
    }

    @Test
    void largeWritesLandWhole() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            m.mount();
            byte[] data = random(5 * 1024 * 1024 + 123);
            Path src = Files.write(tmp.resolve("src"), data);
            // 4 MiB write(2)s: the kernel cuts them into requests of the largest size
            OverlayMount.Result r = OverlayMount.sh(false,
                    "dd if=" + src + " of=" + m.mnt.resolve("big") + " bs=4M status=none");
            assertEquals(0, r.status(), r.output());
            assertArrayEquals(data, Files.readAllBytes(m.upper.resolve("big")));
            assertArrayEquals(data, Files.readAllBytes(m.mnt.resolve("big")));
        }
    }

    @Test
    void aFailingWriteGetsItsErrnoAndTheMountKeepsServing() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("a"), "a");
            m.mount();
            // past ext4's and xfs's largest file (16 TiB / 8 EiB - 1 for xfs: only where the upper
            // filesystem's limit is below the FUSE mount's own)
            Path f = m.mnt.resolve("f");
            OverlayMount.Result r = OverlayMount.sh(false,
                    "dd if=/dev/zero of=" + f + " bs=1 count=1 seek=17T conv=notrunc 2>&1");
            OverlayMount.Result direct = OverlayMount.sh(false, "dd if=/dev/zero of=" + m.upper.resolve("g")
                    + " bs=1 count=1 seek=17T conv=notrunc 2>&1");
            assumeTrue(direct.status() != 0, "the upper filesystem takes a 17 TiB offset");
            assertTrue(r.status() != 0);
            assertTrue(r.output().contains("File too large"), r.output());
            assertEquals("a", Files.readString(m.mnt.resolve("a")));
            Files.writeString(f, "after");
            assertEquals("after", Files.readString(f));
        }
    }
}
