package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.O_CREAT;
import static org.dockerontop.fuse.parity.LibC.O_RDONLY;
import static org.dockerontop.fuse.parity.LibC.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * copy_file_range(2) within the mount is served as one request per call, copied between the layer
 * files by the kernel, rather than by the kernel's fallback through its page cache, which sends a
 * READ of every MiB of the source to the server; and in the form the kernel asks first (the 64-bit
 * one, protocol 7.45), so that it never falls back. Counted with the kernel's own trace of the requests.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CopyFileRangeRequestsTest {
    private static final int READ = 15;
    private static final int COPY_FILE_RANGE = 47;
    private static final int COPY_FILE_RANGE_64 = 53;

    @Test
    void aCopyOfABaseFileWithinTheMountSendsNoRead() throws Exception {
        Template lower = t -> t.file("big", "0123456789abcdef".repeat(1 << 18), 0644); // 4 MiB
        Path base = Parity.tempBase();
        try {
            LayerDirs f = Parity.prepare(base.resolve("fuse"), lower, t -> { });
            try (Overlay.Mounted m = Overlay.underTest().mount(f)) {
                assumeTrue(m.serverPid() > 0, "the filesystem under test is not a FUSE mount");
                assumeTrue(FuseRequests.available(), "needs tracefs and the kernel's fuse_request_send tracepoint (6.15+)");
                LibC c = LibC.INSTANCE;
                int in = c.open(f.mnt().resolve("big").toString(), O_RDONLY, 0);
                int out = c.open(f.mnt().resolve("copy").toString(), O_WRONLY | O_CREAT, 0644);
                Map<Integer, Integer> requests;
                long total = 0;
                try (FuseRequests r = FuseRequests.start(f.mnt())) {
                    for (long n; (n = c.copy_file_range(in, null, out, null, 8 << 20, 0)) > 0; ) {
                        total += n;
                    }
                    requests = r.stop();
                } finally {
                    c.close(out);
                    c.close(in);
                }
                assertEquals(4 << 20, total);
                assertEquals(-1, Files.mismatch(f.mnt().resolve("big"), f.mnt().resolve("copy")));
                // the kernel (6.18) asks with the 64-bit request first, and falls back to the
                // 32-bit one for the rest of the mount's life once it is refused
                assertTrue(requests.getOrDefault(COPY_FILE_RANGE_64, 0) >= 1, "requests " + requests);
                assertEquals(0, requests.getOrDefault(COPY_FILE_RANGE, 0), "requests " + requests);
                assertEquals(0, requests.getOrDefault(READ, 0), "no data through the daemon: requests " + requests);
            }
        } finally {
            Parity.cleanUp(base);
        }
    }
}
