package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.*;

import java.util.List;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Layouts;
import org.dockerontop.fuse.parity.LibC;
import org.dockerontop.fuse.parity.Ops;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Sys;
import org.dockerontop.fuse.parity.Template;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #360: directories with 10,000 entries (100% CPU, huge RSS). Correctness only: create,
 * list, stat and delete 10,000 entries in a new directory and in a 10,000-entry lower directory, with
 * the same counts and the same final tree as the kernel overlay. Time is not asserted (see the benchmark).
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 900, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargeDirectoryRegressionTest {
    static final int N = 10_000;

    static final Template LOWER_WITH_BIG_DIR = t -> {
        Layouts.LOWER.build(t);
        t.dir("big", 0755);
        for (int i = 0; i < N; i++) t.file("big/lower-" + i, "l" + i + "\n", 0644);
    };

    private static int countOk(Ops o, String what, java.util.function.IntUnaryOperator call) {
        int ok = 0;
        String firstError = null;
        for (int i = 0; i < N; i++) {
            if (call.applyAsInt(i) >= 0) ok++;
            else if (firstError == null) firstError = "#" + i + " " + Sys.name(LibC.errno());
        }
        o.note(what + " succeeded", ok + (firstError == null ? "" : " (first failure " + firstError + ")"));
        return ok;
    }

    private static void count(Ops o, String dir) {
        try {
            // "." and ".." are left out here: ParityDirectoryTest.readdirReturnsDotAndDotDot checks them
            List<String> names = Sys.readdir(o.path(dir)).stream().map(Sys.Dirent::name)
                    .filter(n -> !n.equals(".") && !n.equals("..")).toList();
            o.note("readdir " + dir + " entries", names.size());
            o.note("readdir " + dir + " distinct names", names.stream().distinct().count());
        } catch (Sys.ErrnoException e) {
            o.note("readdir " + dir, e.errno);
        }
    }

    @Test
    void tenThousandEntriesInNewAndLowerDirectories() throws Exception {
        Parity.with().lower(LOWER_WITH_BIG_DIR).verify(o -> {
            LibC c = LibC.INSTANCE;
            o.mkdir("new", 0755);
            countOk(o, "create 10000 files in a new dir", i -> {
                int fd = c.open(o.path("new/f" + i), O_WRONLY | O_CREAT | O_EXCL, 0644);
                if (fd < 0) return fd;
                byte[] b = ("n" + i).getBytes();
                long w = c.write(fd, b, b.length);
                c.close(fd);
                return (int) Math.min(w, 0);
            });
            count(o, "new");
            countOk(o, "stat 10000 new files", i -> c.lstat(o.path("new/f" + i), new byte[144]));
            count(o, "big");
            countOk(o, "stat 10000 lower files", i -> c.lstat(o.path("big/lower-" + i), new byte[144]));
            countOk(o, "delete 10000 new files", i -> c.unlink(o.path("new/f" + i)));
            count(o, "new");
            o.rmdir("new");
            // whiteouts for a fifth of the lower entries, 2000 new ones, and a copy-up of every 100th
            countOk(o, "delete every 5th lower file", i -> i % 5 == 0 ? c.unlink(o.path("big/lower-" + i)) : 0);
            countOk(o, "create 2000 upper files in the lower dir", i -> {
                if (i >= 2000) return 0;
                int fd = c.open(o.path("big/upper-" + i), O_WRONLY | O_CREAT | O_EXCL, 0644);
                return fd < 0 ? fd : c.close(fd);
            });
            countOk(o, "chmod every 100th lower file", i -> i % 100 == 1 ? c.chmod(o.path("big/lower-" + i), 0600) : 0);
            count(o, "big");
            countOk(o, "stat every name", i -> {
                int rc = c.lstat(o.path("big/lower-" + i), new byte[144]);
                return (i % 5 == 0) == (rc < 0) ? 0 : -1;
            });
            o.sh("ls -U -A big | wc -l; find big -type f | wc -l; ls big | tail -3");
        });
    }
}
