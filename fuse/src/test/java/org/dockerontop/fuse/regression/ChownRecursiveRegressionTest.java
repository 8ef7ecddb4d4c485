package org.dockerontop.fuse.regression;

import java.util.ArrayList;
import java.util.List;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Ops;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Sys;
import org.dockerontop.fuse.parity.TreeSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #400: chown -R changed directory mtimes (copy-up of a child touched the parent). On the
 * kernel overlay a metadata-only copy-up keeps every mtime, also of the parents it copies up.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChownRecursiveRegressionTest {

    private static void dirsWithChangedMtime(Ops o, String root) throws Exception {
        List<String> changed = new ArrayList<>();
        walk(o, root, changed);
        o.note("directories under " + root + " whose mtime is no longer the lower's", changed);
    }

    private static void walk(Ops o, String rel, List<String> changed) throws Exception {
        Sys.Stat st = Sys.lstat(o.path(rel));
        if (!st.isDir()) return;
        if (st.mtimeNs() != TreeSnapshot.T0_NS) changed.add(rel);
        List<String> names = new ArrayList<>();
        for (Sys.Dirent e : Sys.readdir(o.path(rel))) if (!e.name().startsWith(".")) names.add(e.name());
        names.sort(null);
        for (String n : names) walk(o, rel + "/" + n, changed);
    }

    @Test
    void chownRecursiveKeepsDirectoryMtimes() throws Exception {
        Parity.check(o -> {
            o.sh("chown -R 1000:1000 tree dir");
            dirsWithChangedMtime(o, "tree");
            dirsWithChangedMtime(o, "dir");
            o.sh("chmod -R go-rwx dir2");
            dirsWithChangedMtime(o, "dir2");
            o.sh("chown -R 0:0 tree && setfattr -n user.x -v 1 tree/d2/f2");
            dirsWithChangedMtime(o, "tree");
            o.sh("stat -c '%n %U %a %Y' tree tree/d0 tree/d0/f0 dir/sub/deeper");
        });
    }
}
