package org.dockerontop.fuse.regression;

import java.nio.file.Files;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Sys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #320, #298: changes to the lower layer not visible. As with the kernel's overlayfs,
 * changing the base directory WHILE it is mounted is not supported (our FUSE filesystem caches entries
 * and attributes with long timeouts precisely because the base must not change), so that is not tested.
 * What must hold, and is tested: changes made to the base between mounts are all visible at the next
 * mount, exactly as the kernel shows them — except where the upper hides them (whiteouts, opaque
 * directories, copied-up files), which is also as the kernel does.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LowerChangesRegressionTest {

    @Test
    void baseChangesBetweenMountsAreVisible() throws Exception {
        Parity.check(o -> {
            o.readFile("file.txt");
            o.readFile("ro.txt");
            o.ls("dir");
            o.stat("exec.sh");
            o.chmod("owned.txt", 0600);
            o.unlink("dir/a.txt");
            o.sh("rm -r tree/d1 && mkdir tree/d1");
            o.remount(d -> {
                Files.writeString(d.lower().resolve("file.txt"), "changed in the base\n");
                Files.delete(d.lower().resolve("ro.txt"));
                Files.writeString(d.lower().resolve("dir/added.txt"), "added to the base\n");
                Files.writeString(d.lower().resolve("dir/a.txt"), "whited out in the upper\n");
                Files.writeString(d.lower().resolve("owned.txt"), "copied up already\n");
                Files.writeString(d.lower().resolve("tree/d1/hidden"), "under an opaque dir\n");
                Sys.chmod(d.lower().resolve("exec.sh").toString(), 0700);
                Files.createDirectory(d.lower().resolve("newlowerdir"));
            });
            o.readFile("file.txt");
            o.readFile("ro.txt");
            o.ls("dir");
            o.readFile("dir/added.txt");
            o.readFile("dir/a.txt");
            o.readFile("owned.txt");
            o.ls("tree/d1");
            o.stat("exec.sh");
            o.stat("newlowerdir");
            o.ls("");
        });
    }
}
