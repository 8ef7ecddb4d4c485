package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** mkdir/rmdir, whiteouts, opaque directories and the merged readdir: kernel vs the filesystem under test. */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityDirectoryTest {

    @Test
    void mkdirAndRmdirInLowerDirectories() throws Exception {
        Parity.check(o -> {
            o.mkdir("dir/newsub", 0750);
            o.stat("dir/newsub");
            o.stat("dir");
            o.mkdir("dir/sub/deeper/new", 0700);
            o.mkdir("dir", 0755);
            o.mkdir("file.txt", 0755);
            o.mkdir("nodir/x", 0755);
            o.rmdir("dir/newsub");
            o.rmdir("empty");
            o.rmdir("dir");
            o.rmdir("file.txt");
            o.rmdir("missing");
            o.stat("empty");
            o.ls("");
            o.ls("dir");
        });
    }

    @Test
    void rmdirOfLowerDirectoryEmptiedThroughTheMount() throws Exception {
        Parity.check(o -> {
            o.unlink("dir/sub/c.txt");
            o.rmdir("dir/sub");
            o.unlink("dir/sub/deeper/d.txt");
            o.rmdir("dir/sub/deeper");
            o.rmdir("dir/sub");
            o.stat("dir/sub");
            o.ls("dir");
        });
    }

    /** rm -r of a lower directory then mkdir of the same name: a new, opaque directory hiding the lower content. */
    @Test
    void rmRecursiveThenMkdirMakesOpaqueDirectory() throws Exception {
        Parity.check(o -> {
            o.sh("rm -r dir && mkdir dir && echo new > dir/new.txt");
            o.ls("dir");
            o.stat("dir");
            o.stat("dir/a.txt");
            o.stat("dir/sub");
            o.mkdir("dir/sub", 0755);
            o.ls("dir/sub");
            o.sh("rm -r tree/d1 && mkdir tree/d1");
            o.ls("tree/d1");
            o.ls("tree");
        });
    }

    /** A whiteout replaced by a directory (file.txt) becomes an opaque directory; by a file, a plain file. */
    @Test
    void createOverWhiteout() throws Exception {
        Parity.check(o -> {
            o.unlink("file.txt");
            o.mkdir("file.txt", 0755);
            o.ls("file.txt");
            o.rmdir("empty");
            o.writeFile("empty", "now a file\n");
            o.sh("rm -r dir2");
            o.symlink("target", "dir2");
            o.unlink("exec.sh");
            o.mkfifo("exec.sh", 0600);
            o.stat("file.txt");
            o.stat("empty");
            o.readlink("dir2");
            o.stat("exec.sh");
        });
    }

    /** An upper left by a previous session: whiteouts and opaque directories are honoured on read. */
    @Test
    void readdirMergesAndHidesWhiteouts() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            o.ls("");
            o.ls("dir");
            o.ls("dir2");
            o.ls("updir");
            o.stat("dir/b.txt");
            o.stat("ro.txt");
            o.readFile("ro.txt");
            o.readFile("dir2/x.txt");
            o.readFile("dir2/y.txt");
            o.readFile("file.txt");
            o.stat("dir");
            o.stat("dir2");
            o.stat("updir");
            o.writeFile("dir/b.txt", "back\n");
            o.ls("dir");
            o.mkdir("ro.txt", 0700);
            o.ls("ro.txt");
            o.rmdir("dir2");
            o.unlink("dir2/y.txt");
            o.rmdir("dir2");
            o.ls("");
        });
    }

    /**
     * Xattr whiteouts in the upper layer, in a directory not marked as holding them, marked as kernel
     * 6.8+ marks a lower one ({@code opaque=x}), marked as our xattr form marks it, impure, and upper
     * only. Kernel 6.18: a lookup hides every one of them; the listing ignores an upper directory's
     * marker (the kernel honours xattr whiteouts in listings of lower layers only) and shows them,
     * except in an impure merged directory, whose listing looks each entry up and drops what the
     * lookup hides. A non-empty file with the xattr is no whiteout.
     */
    @Test
    void xattrWhiteoutsInTheUpperLayer() throws Exception {
        Parity.with().upper(t -> t.dir("dir", 0755).xattrWhiteout("dir/a.txt").xattrWhiteout("dir/gone")
                .file("dir/full", "not empty\n", 0644).xattr("dir/full", "trusted.overlay.whiteout", "y")
                .dir("tree", 0755)
                .dir("tree/d0", 0755).xattr("tree/d0", "trusted.overlay.opaque", "x").xattrWhiteout("tree/d0/f0")
                .dir("tree/d1", 0755).xattr("tree/d1", "trusted.overlay.xwhiteouts", "").xattrWhiteout("tree/d1/f1")
                .dir("tree/d2", 0755).xattr("tree/d2", "trusted.overlay.impure", "y").xattrWhiteout("tree/d2/f2")
                .xattrWhiteout("tree/d2/gone")
                .dir("updir", 0755).xattrWhiteout("updir/gone")).verify(o -> {
            for (String d : new String[] {"dir", "tree/d0", "tree/d1", "tree/d2", "updir"}) {
                o.ls(d);
            }
            for (String f : new String[] {"dir/a.txt", "dir/gone", "dir/full", "tree/d0/f0", "tree/d1/f1", "tree/d2/f2",
                    "tree/d2/gone", "updir/gone"}) {
                o.stat(f);
            }
            o.readFile("dir/full");
            o.writeFile("dir/a.txt", "back\n");
            o.writeFile("tree/d2/f2", "back\n");
            o.ls("dir");
            o.ls("tree/d2");
            o.readFile("dir/a.txt");
        });
    }

    /**
     * Whiteouts in the (one, lowermost) lower layer, a 0/0 device and an xattr whiteout, in a
     * lower-only directory, one merged with an upper directory, one marked {@code opaque=x}, and one
     * holding nothing else. Kernel 6.18 (kernel-lower-whiteouts-merged.sh): every lookup hides
     * them (a create over one makes a new file; no whiteout is needed to remove that one again);
     * a listing shows them, except a merged directory's, which leaves the device out (its merged
     * listing asks about every 0/0 device; the xattr form only in marked layers above the last).
     */
    @Test
    void whiteoutsInTheLowerLayer() throws Exception {
        Parity.with().lower(t -> t.dir("pure", 0755).whiteout("pure/dev").xattrWhiteout("pure/xw")
                .file("pure/keep", "keep\n", 0644)
                .dir("merged", 0755).whiteout("merged/dev").xattrWhiteout("merged/xw").file("merged/keep", "keep\n", 0644)
                .dir("marked", 0755).xattr("marked", "trusted.overlay.opaque", "x").whiteout("marked/dev")
                .xattrWhiteout("marked/xw")
                .dir("only", 0755).whiteout("only/dev").xattrWhiteout("only/xw")
                .dir("only2", 0755).whiteout("only2/dev"))
                .upper(t -> t.dir("merged", 0755).file("merged/up", "up\n", 0644)).verify(o -> {
            for (String d : new String[] {"pure", "merged", "marked", "only", "only2"}) {
                o.ls(d);
                o.stat(d + "/dev");
                o.stat(d + "/xw");
            }
            o.sh("ls -l only 2>&1 | sed 's/^ls: cannot access .*only/ls: cannot access only/' | sort");
            o.rmdir("only");
            o.rmdir("only2");
            o.writeFile("pure/dev", "new\n");
            o.writeFile("pure/xw", "new\n");
            o.mkdir("merged/dev", 0755);
            o.ls("pure");
            o.readFile("pure/dev");
            o.stat("merged/dev");
            o.unlink("pure/dev");
            o.rmdir("merged/dev");
            o.ls("pure");
            o.ls("merged");
        });
    }

    /** readdir of a directory through an fd with entries removed and added while it is open. */
    @Test
    void readdirWhileChanging() throws Exception {
        Parity.check(o -> {
            o.sh("ls -A dir | sort && rm dir/a.txt && touch dir/z.txt && ls -A dir | sort && ls -lA dir | wc -l");
            o.sh("find . -type d | sort");
            o.sh("find . -links 2 -type d | sort");
        });
    }

    /** Every Linux filesystem, the kernel overlay included, lists "." and ".." (ls -a, ls -f, find rely on it). */
    @Test
    void readdirReturnsDotAndDotDot() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            for (String d : new String[] {"", "dir", "dir2", "empty", "updir", "tree/d0"}) {
                java.util.List<String> names = new java.util.ArrayList<>();
                for (Sys.Dirent e : Sys.readdir(o.path(d))) names.add(e.name());
                o.note("readdir '" + d + "' has . and ..", names.contains(".") && names.contains(".."));
            }
            o.sh("ls -a empty; ls -f dir | wc -l");
        });
    }

    @Test
    void renameFiles() throws Exception {
        Parity.check(o -> {
            o.rename("file.txt", "renamed.txt");
            o.rename("ro.txt", "exec.sh");
            o.writeFile("new.txt", "new\n");
            o.rename("new.txt", "owned.txt");
            o.rename("hard1", "hard3");
            o.rename("dir/a.txt", "tree/d0/a.txt");
            o.rename("link", "dir/sub/link");
            o.rename("fifo", "dir2/fifo");
            o.rename("xattr.txt", "xattr.txt");
            o.rename("missing", "x");
            o.rename("dir/b.txt", "dir");
            o.rename("dir/b.txt", "empty");
            o.stat("renamed.txt");
            o.stat("file.txt");
            o.readFile("exec.sh");
            o.stat("exec.sh");
            o.readFile("owned.txt");
            o.stat("hard3");
            o.stat("hard2");
            o.readlink("dir/sub/link");
            o.ls("");
            o.ls("dir");
            o.ls("tree/d0");
        });
    }

    /** renameat2 with RENAME_NOREPLACE: EEXIST for a name that exists, a plain rename otherwise. */
    @Test
    void renameWithoutReplacing() throws Exception {
        int noReplace = 1;
        Parity.check(o -> {
            o.rename("file.txt", "renamed.txt", noReplace); // a lower file: copied up and moved
            o.rename("ro.txt", "exec.sh", noReplace);
            o.writeFile("new.txt", "new\n");
            o.rename("new.txt", "owned.txt", noReplace);
            o.rename("new.txt", "file.txt", noReplace); // over the whiteout the first rename left
            o.rename("hard1", "dir/hard3", noReplace);
            o.rename("dir/a.txt", "dir", noReplace);
            o.rename("dir", "dir.moved", noReplace); // a lower directory: EXDEV
            o.mkdir("made", 0755);
            o.rename("made", "made2", noReplace);
            o.rename("missing", "x", noReplace);
            o.rename("exec.sh", "exec.sh", noReplace);
            for (String f : new String[] {"renamed.txt", "file.txt", "ro.txt", "exec.sh", "new.txt", "owned.txt",
                    "dir/hard3", "hard2", "made2"}) {
                o.stat(f);
            }
            o.readFile("file.txt");
            o.ls("");
            o.ls("dir");
        });
    }

    /** Without redirect_dir a directory that exists in the lower layer cannot be renamed: EXDEV (mv then copies). */
    @Test
    void renameOfLowerDirectoryIsExdev() throws Exception {
        Parity.check(o -> {
            o.rename("dir", "dir.moved");
            o.rename("empty", "empty2");
            o.rename("dir/sub", "sub");
            o.chmod("tree", 0700);
            o.rename("tree", "tree2");
            o.rename("dir", "dir");
            o.sh("mv dir2 dir2.moved && ls dir2.moved");
            o.ls("");
        });
    }

    @Test
    void renameOfPureUpperDirectory() throws Exception {
        Parity.check(o -> {
            o.mkdir("newdir", 0755);
            o.writeFile("newdir/f", "f\n");
            o.mkdir("newdir/inner", 0700);
            o.rename("newdir", "moved");
            o.rename("moved", "dir/moved");
            o.mkdir("other", 0755);
            o.rename("dir/moved", "other");
            o.mkdir("full", 0755);
            o.writeFile("full/x", "x\n");
            o.rename("other", "full");
            o.rename("other", "empty");
            o.ls("");
            o.ls("other");
            o.ls("empty");
            o.stat("other/inner");
        });
    }
}
