package org.dockerontop.fuse.regression;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.dockerontop.fuse.OverlayMount;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Parity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A directory's st_blocks right after a copy-up inside it, as on the kernel overlay: the copy-up
 * marks the upper directory {@code trusted.overlay.impure}, which on ext4 can move its xattrs to a
 * block of their own (8 -> 16 blocks; {@code du} of a package tree 4 KiB apart, found with
 * bench/real-dir-blocks.sh). The request names the copied file, not the directory, whose cached
 * attributes then stayed until attr_timeout (60 s). Our loop knows the directory's node and drops
 * them; libfuse's keeps the stale count.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DirectoryBlocksRegressionTest {

    @Test
    void aDirectoryMarkedImpureShowsItsBlocksAtOnce() throws Exception {
        assumeTrue(OverlayMount.javaLoop(), "libfuse's nodes are not the server's to look up");
        Parity.check(o -> o.sh("cd dir && stat -c 'before: %b' . && sed -i s/a/A/ a.txt && stat -c 'sed -i: %b' ."
                + " && sort -o b.txt b.txt && stat -c 'copy-up: %b' . && cd sub && stat -c 'sub: %b' ."
                + " && chmod 600 c.txt && stat -c 'sub after chmod: %b' ."));
    }
}
