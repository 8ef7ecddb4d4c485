package org.dockerontop.fuse.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.dockerontop.fuse.OverlayMount;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens and reads of names that another process renames a new file over, or exchanges
 * (bench/rename-race.py, 4 s each). On our loop, without a lock between a request's path and a
 * rename of its node's name, a request could build the path just before the rename and use it
 * just after, opening the file that had the name by then: passthrough refused it (EIO, hundreds of
 * "passed through to another file" log lines), an open of a name being hidden opened the whiteout
 * (ENXIO), and without passthrough the open silently got the other file (findings 30; this test
 * saw 11 and 235 EIOs in 10 s before the server had its node locks). The kernel sends OPEN for
 * the node its walk ended on, which a rename over it may have left nameless just before: libfuse's
 * loop answers ENOENT (3-7% of these opens), ours ESTALE, on which the kernel walks the path once
 * more, revalidating it, and opens the file that has the name now (the name always exists).
 *
 * <p>The directory modes change the directories above the files instead (findings 34): a request
 * holding only its own node's lock could take the path of {@code d1/f0} just before d1 and d2
 * swapped and use it just after, and so open, read, write or chmod {@code d2/f0}: before the
 * request loop locked the directories above a request's node, 10 s of {@code dirswap} showed
 * hundreds of EIOs (passthrough refusing the other file) and of reads of another file than the one
 * the kernel opened.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RenameRaceRegressionTest {
    private static final Path SCRIPT = Path.of("..", "bench", "rename-race.py").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @Test
    void opensRacingARenameOverNeverGetAnotherFile() throws Exception {
        String out = race("replace");
        assertFalse(out.contains("errno 5") || out.contains("errno 6"), out);
        assertTrue(out.contains("0 read wrong data"), out);
        if (OverlayMount.javaLoop()) {
            assertFalse(out.contains("(errno 2)"), "no open of a name that always exists fails with ENOENT: " + out);
        }
    }

    @Test
    void opensRacingAnExchangeNeverFail() throws Exception {
        Assumptions.assumeTrue(OverlayMount.javaLoop(), "libfuse 2 answers RENAME_EXCHANGE with EINVAL");
        String out = race("exchange");
        assertTrue(out.contains(" 0 failed"), out);
        assertTrue(out.contains("0 read wrong data"), out);
    }

    @Test
    void requestsRacingADirectoryExchangeNeverReachTheOtherDirectory() throws Exception {
        Assumptions.assumeTrue(OverlayMount.javaLoop(), "libfuse 2 answers RENAME_EXCHANGE with EINVAL");
        String out = race("dirswap");
        assertTrue(out.contains(" 0 failed"), "every name always exists, and no open may fail: " + out);
        assertTrue(out.contains("; 0 wrong file read, 0 wrong file written"), out);
    }

    @Test
    void requestsRacingADirectoryRenameNeverReachAnotherDirectory() throws Exception {
        String out = race("dirmove");
        // ENOENT is right here: a name is missing while its directory is renamed through a third name
        assertTrue(out.contains(" 0 failed"), out);
        assertTrue(out.contains("; 0 wrong file read, 0 wrong file written"), out);
    }

    private String race(String mode) throws Exception {
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toString());
        try (OverlayMount m = new OverlayMount(tmp)) {
            m.mount();
            OverlayMount.Result r = OverlayMount.sh(false, "python3 " + SCRIPT + " " + m.mnt + " " + mode + " 4 2");
            String out = r.output() + Files.readString(m.serverOutput());
            assertEquals(-1, out.indexOf("passed through to another file"), out);
            return out;
        }
    }
}
