package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.dockerontop.fuse.OverlayMount;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * renameat2(2) with {@code RENAME_EXCHANGE}: both entries copied up as needed, then swapped; EXDEV
 * for a directory that exists in the lower layer (no redirect_dir); a directory landing in a
 * merged directory made opaque. Only {@code loop=java} has it (libfuse 2 answers EINVAL, pinned in
 * OverlaySemanticsTest). Each scenario stats the names first so that the kernel holds their
 * dentries, which it swaps: later requests through them name the swapped nodes.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityRenameExchangeTest {
    private static final int EXCHANGE = 2;

    @BeforeEach
    void onlyOnTheJavaLoop() {
        assumeTrue(OverlayMount.javaLoop(), "RENAME_EXCHANGE is served by loop=java only");
    }

    private static void statAll(Ops o, String... paths) {
        for (String p : paths) o.stat(p);
    }

    private static void readAll(Ops o, String... paths) {
        for (String p : paths) {
            o.stat(p);
            o.readFile(p);
        }
    }

    /** Two lower files, in one directory and across (lower-only parents copied up on the way). */
    @Test
    void lowerFiles() throws Exception {
        Parity.check(o -> {
            statAll(o, "file.txt", "exec.sh", "dir/a.txt", "tree/d0/f0", "tree/d1/f1", "owned.txt", "xattr.txt");
            o.rename("file.txt", "exec.sh", EXCHANGE);
            o.rename("exec.sh", "dir/a.txt", EXCHANGE);
            o.rename("tree/d0/f0", "tree/d1/f1", EXCHANGE);
            o.rename("owned.txt", "xattr.txt", EXCHANGE);
            readAll(o, "file.txt", "exec.sh", "dir/a.txt", "tree/d0/f0", "tree/d1/f1", "owned.txt", "xattr.txt");
            o.listxattr("owned.txt");
            o.listxattr("xattr.txt");
            o.ls("");
            o.ls("dir");
            o.ls("tree/d0");
        });
    }

    /** A new upper file against lower entries of every kind, an upper symlink, a copied-up file. */
    @Test
    void upperAndLowerNonDirectories() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            o.writeFile("new.txt", "new\n");
            o.symlink("dir/a.txt", "newlink");
            statAll(o, "new.txt", "owned.txt", "link", "fifo", "newlink", "file.txt", "dir/up.txt", "sparse");
            o.rename("new.txt", "owned.txt", EXCHANGE);
            o.rename("link", "fifo", EXCHANGE);
            o.rename("newlink", "dir/up.txt", EXCHANGE);
            o.rename("file.txt", "dangling", EXCHANGE); // copied up in an earlier session, against a lower symlink
            o.rename("sparse", "dir/sub/c.txt", EXCHANGE);
            readAll(o, "new.txt", "owned.txt", "file.txt", "dangling", "dir/sub/c.txt");
            statAll(o, "link", "fifo", "newlink", "dir/up.txt", "sparse");
            o.readlink("fifo");
            o.readlink("dir/up.txt");
            o.readFile("dir/up.txt");
            o.ls("");
            o.ls("dir");
        });
    }

    /** Lower hard links (two names, copied up apart as the kernel does without index) and upper ones (one inode: nothing happens). */
    @Test
    void hardLinks() throws Exception {
        Parity.check(o -> {
            statAll(o, "hard1", "hard2");
            o.rename("hard1", "hard2", EXCHANGE);
            statAll(o, "hard1", "hard2");
            o.writeFile("up1", "up\n");
            o.link("up1", "up2");
            statAll(o, "up1", "up2");
            o.rename("up1", "up2", EXCHANGE);
            statAll(o, "up1", "up2");
            o.rename("up1", "file.txt", EXCHANGE);
            statAll(o, "up1", "up2", "file.txt");
            readAll(o, "hard1", "hard2", "up1", "up2", "file.txt");
        });
    }

    /** Directories made through the mount against files and each other; opaque where they land in a merged directory. */
    @Test
    void upperDirectories() throws Exception {
        Parity.check(o -> {
            o.mkdir("made", 0755);
            o.mkdir("made/sub", 0700);
            o.writeFile("made/f", "f\n");
            o.mkdir("made2", 0750);
            o.writeFile("made2/g", "g\n");
            statAll(o, "made", "made/sub", "made/f", "made2", "file.txt", "tree/d0/f0");
            o.rename("made/sub", "made/f", EXCHANGE); // inside a pure upper directory: no opaque
            o.rename("made", "made2", EXCHANGE); // both in the merged root
            o.rename("made/g", "file.txt", EXCHANGE);
            o.rename("made2/f", "tree/d0/f0", EXCHANGE); // a directory into a lower-only directory
            o.rename("made2", "exec.sh", EXCHANGE);
            statAll(o, "made", "made2", "exec.sh", "exec.sh/f", "exec.sh/sub", "file.txt", "made/g", "tree/d0/f0");
            o.writeFile("exec.sh/later", "later\n"); // through the swapped directory's node
            o.writeFile("tree/d0/f0/inside", "inside\n");
            o.ls("");
            o.ls("made");
            o.ls("exec.sh");
            o.ls("tree/d0");
            o.ls("tree/d0/f0");
            o.readFile("file.txt");
            o.readFile("made2");
            o.readFile("made/g");
        });
    }

    /** The upper layout of an earlier session: an opaque directory over a lower one, a pure upper one, a merged one. */
    @Test
    void opaqueAndMergedDirectories() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            statAll(o, "dir2", "updir", "updir/nested", "dir/up.txt", "dir", "empty");
            o.rename("updir", "dir2", EXCHANGE); // both movable: dir2 is opaque, so not merged
            o.rename("dir2/nested", "dir/up.txt", EXCHANGE); // into a merged directory
            o.rename("updir", "dir", EXCHANGE); // dir is merged: EXDEV
            o.rename("dir", "updir", EXCHANGE);
            o.rename("empty", "file.txt", EXCHANGE); // lower-only directory: EXDEV
            o.rename("file.txt", "empty", EXCHANGE);
            o.rename("dir/sub", "updir/y.txt", EXCHANGE);
            statAll(o, "dir2", "updir", "dir2/nested", "dir/up.txt", "dir/nested", "updir/y.txt", "dir2/u.txt");
            o.ls("");
            o.ls("dir");
            o.ls("dir2");
            o.ls("updir");
            o.ls("dir/up.txt");
        });
    }

    /** What the VFS refuses before any filesystem sees it, and a missing or whited-out side. */
    @Test
    void errors() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            o.mkdir("made", 0755);
            o.mkdir("made/sub", 0755);
            o.rename("missing", "file.txt", EXCHANGE);
            o.rename("file.txt", "missing", EXCHANGE);
            o.rename("file.txt", "ro.txt", EXCHANGE); // whited out in the upper
            o.rename("dir/b.txt", "dir/a.txt", EXCHANGE);
            o.rename("file.txt", "file.txt", EXCHANGE);
            o.rename("dir", "dir", EXCHANGE);
            o.rename("made", "made/sub", EXCHANGE);
            o.rename("made/sub", "made", EXCHANGE);
            o.rename("file.txt", "exec.sh", EXCHANGE | 1); // with NOREPLACE
            o.rename("file.txt", "exec.sh", 4); // RENAME_WHITEOUT
            o.rename("file.txt/x", "exec.sh", EXCHANGE);
            o.rename("file.txt", "nodir/x", EXCHANGE);
            statAll(o, "file.txt", "exec.sh", "dir/a.txt", "made", "made/sub");
            o.ls("");
        });
    }

    /** Open files keep their file across the swap; names opened after it get the other one. */
    @Test
    void openFilesAcrossTheExchange() throws Exception {
        Parity.check(o -> {
            int lowerFd = o.open("file.txt", O_RDONLY);
            o.writeFile("new.txt", "new\n");
            int upperFd = o.open("new.txt", O_RDWR);
            o.rename("file.txt", "exec.sh", EXCHANGE);
            o.rename("new.txt", "owned.txt", EXCHANGE);
            o.read(lowerFd, 100);
            o.fstat(lowerFd);
            o.pwrite(upperFd, "written\n".getBytes(), 0);
            o.fstat(upperFd);
            o.close(lowerFd);
            o.close(upperFd);
            readAll(o, "file.txt", "exec.sh", "new.txt", "owned.txt");
            o.chmod("owned.txt", 0600);
            o.chmod("new.txt", 0640);
            o.rename("owned.txt", "new.txt", EXCHANGE); // and back
            readAll(o, "owned.txt", "new.txt");
            // an open file swapped to another name, then unlinked there: still readable through its fd
            int openFd = o.open("new.txt", O_RDONLY);
            o.rename("new.txt", "exec.sh", EXCHANGE);
            o.unlink("exec.sh");
            o.read(openFd, 100);
            o.fstat(openFd);
            o.close(openFd);
            readAll(o, "new.txt", "exec.sh");
            o.ls("");
        });
    }
}
