package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.dockerontop.fuse.OverlayMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** chmod, chown, utimens and xattrs on lower entries (metadata-only copy-up): kernel vs the filesystem under test. */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityMetadataTest {

    /** Every lower entry kind: copy-up must keep content, mtime (T0), owner and xattrs; only the mode changes. */
    @ParameterizedTest
    @ValueSource(strings = {"file.txt", "xattr.txt", "owned.txt", "dir", "dir2", "dir/sub/deeper", "fifo", "hard1", "empty"})
    void chmodOfLowerEntry(String path) throws Exception {
        Parity.check(o -> {
            o.chmod(path, 0604);
            o.stat(path);
            o.chmod(path, 01777);
            o.stat(path);
            o.listxattr(path);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"file.txt", "xattr.txt", "owned.txt", "dir", "dir2", "fifo", "hard1", "tree/d0"})
    void chownOfLowerEntry(String path) throws Exception {
        Parity.check(o -> {
            o.chown(path, 1234, 5678);
            o.stat(path);
            o.chown(path, -1, 0);
            o.stat(path);
            o.listxattr(path);
        });
    }

    /**
     * chown(f, -1, -1) changes no owner, but the kernel overlay copies the entry up and its ctime
     * changes, whoever asks (no permission is needed for it). The kernel sends a SETATTR with no
     * attribute, for which libfuse 2's high-level API calls nothing: loop=java only.
     */
    @ParameterizedTest
    @ValueSource(strings = {"file.txt", "dir", "fifo", "hard1", "link", "tree/d0/f0", "new.txt", "link->"})
    void chownToTheSameOwnerCopiesUpAndChangesCtime(String name) throws Exception {
        assumeTrue(OverlayMount.javaLoop(), "a SETATTR with no attribute reaches loop=java only");
        boolean follow = name.endsWith("->");
        String path = follow ? name.substring(0, name.length() - 2) : name;
        String target = follow ? "file.txt" : path;
        Parity.check(o -> {
            o.writeFile("new.txt", "new\n");
            Sys.Stat before = o.stat(target);
            Thread.sleep(20); // past the timestamp granularity of the upper filesystem
            if (follow) {
                o.chown(path, -1, -1);
            } else {
                o.lchown(path, -1, -1);
            }
            Sys.Stat after = o.stat(target);
            o.note("ctime changed", before != null && after != null && after.ctimeNs() > before.ctimeNs());
            o.listxattr(target);
        });
    }

    @Test
    void chownToTheSameOwnerByAnotherUser() throws Exception {
        assumeTrue(OverlayMount.javaLoop(), "a SETATTR with no attribute reaches loop=java only");
        Parity.check(o -> {
            Sys.Stat before = o.stat("file.txt");
            Thread.sleep(20);
            o.shAs(Layouts.USER, Layouts.USER, "python3 -c 'import os; os.chown(\"file.txt\", -1, -1); os.chown(\"dir\", -1, -1)'");
            Sys.Stat after = o.stat("file.txt");
            o.note("ctime changed", before != null && after != null && after.ctimeNs() > before.ctimeNs());
            o.stat("dir");
        });
    }

    @Test
    void chownOfSymlinkItselfAndThroughIt() throws Exception {
        Parity.check(o -> {
            o.lchown("link", 1000, 1000);
            o.stat("link");
            o.chown("link", 2000, 2000);
            o.stat("file.txt");
            o.lchown("dangling", 3, 3);
            o.chown("dangling", 3, 3);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"file.txt", "owned.txt", "dir", "dir/sub", "fifo", "link", "hard2"})
    void utimensOfLowerEntry(String path) throws Exception {
        Parity.check(o -> {
            o.utimens(path, 1_262_304_000L, 123_456_789L, true);
            o.stat(path);
            o.utimens(path, 1_300_000_000L, 0, false);
            o.stat(path);
        });
    }

    @Test
    void setxattrCopiesUpAndIsVisible() throws Exception {
        Parity.check(o -> {
            o.setxattr("file.txt", "user.new", "v1", 0);
            o.getxattr("file.txt", "user.new");
            o.listxattr("file.txt");
            o.stat("file.txt");
            o.setxattr("dir", "user.d", "dirval", 0);
            o.listxattr("dir");
            o.stat("dir");
            o.setxattr("xattr.txt", "user.color", "red", XATTR_REPLACE);
            o.setxattr("xattr.txt", "user.color", "green", XATTR_CREATE);
            o.setxattr("xattr.txt", "user.absent", "x", XATTR_REPLACE);
            o.getxattr("xattr.txt", "user.color");
            o.getxattr("xattr.txt", "user.empty");
            o.getxattr("xattr.txt", "user.absent");
            o.setxattr("link", "user.onlink", "x", 0);
            o.setxattr("missing", "user.x", "x", 0);
            o.setxattr("ro.txt", "trusted.mine", "t", 0);
            o.getxattr("ro.txt", "trusted.mine");
        });
    }

    @Test
    void removexattrCopiesUp() throws Exception {
        Parity.check(o -> {
            o.removexattr("xattr.txt", "user.color");
            o.removexattr("xattr.txt", "user.color");
            o.removexattr("file.txt", "user.none");
            o.listxattr("xattr.txt");
            o.removexattr("dir2", "user.tag");
            o.listxattr("dir2");
            o.stat("dir2");
        });
    }

    /**
     * A file capability (security.capability) survives copy-up, as on the kernel overlay, whoever
     * owns the file: chown(2) drops it, so the copy must not chown after copying the xattrs (nor
     * chown a file that has its owner already).
     */
    @Test
    void fileCapabilitiesSurviveCopyUp() throws Exception {
        // struct vfs_cap_data, VFS_CAP_REVISION_2, effective, permitted = CAP_NET_RAW (bit 13)
        byte[] netRaw = {0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        Template lower = t -> {
            Layouts.LOWER.build(t);
            t.file("ping", "ping\n", 0755);
            Sys.setxattr(t.abs("ping"), "security.capability", netRaw);
            t.file("userping", "userping\n", 0755).owner("userping", Layouts.USER, Layouts.USER);
            Sys.chmod(t.abs("userping"), 04755);
            Sys.setxattr(t.abs("userping"), "security.capability", netRaw);
        };
        Parity.with().lower(lower).verify(o -> {
            o.setxattr("ping", "user.note", "x", 0);
            o.setxattr("userping", "user.note", "x", 0);
            o.sh("echo more >> ping");
            o.rename("userping", "userping2");
            o.stat("ping");
            o.stat("userping2");
            o.listxattr("ping");
            o.listxattr("userping2");
        });
    }

    /** trusted.overlay.* is private: never listed, never readable, never settable through the mount. */
    @Test
    void overlayPrivateXattrsNeverShow() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            o.chmod("file.txt", 0600);
            o.chmod("exec.sh", 0700);
            o.mkdir("dir/newdir", 0755);
            o.sh("rm -r tree && mkdir tree");
            for (String p : new String[] {"", "file.txt", "exec.sh", "dir", "dir2", "tree", "updir", "dir/newdir"}) {
                o.listxattr(p);
                o.getxattr(p, "trusted.overlay.opaque");
                o.getxattr(p, "trusted.overlay.origin");
            }
            o.setxattr("dir", "trusted.overlay.opaque", "y", 0);
            o.setxattr("file.txt", "trusted.overlay.origin", "junk", 0);
            o.removexattr("dir2", "trusted.overlay.opaque");
            o.ls("dir");
            o.ls("dir2");
        });
    }
}
