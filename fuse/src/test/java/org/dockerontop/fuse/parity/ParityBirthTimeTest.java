package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.dockerontop.fuse.OverlayMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * statx(2) birth time: the kernel overlay reports the real entry's, the upper one's once there is
 * one (a copy-up is born when it is made), else the lower one's. Through FUSE only on loop=java,
 * which answers FUSE_STATX (libfuse 2 answered ENOSYS: no birth time at all).
 *
 * <p>Not compared, because the FUSE kernel module cannot do it: an entry whose birth time the
 * kernel has cached and that is copied up afterwards. The kernel keeps a birth time as if it
 * could never change (FUSE_NOTIFY_INVAL_INODE and every GETATTR leave it cached), so it goes on
 * reporting the lower entry's until the node is forgotten; the kernel overlay reports the copy's.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityBirthTimeTest {

    @Test
    void birthTimeOfLowerUpperAndCopiedUpEntries() throws Exception {
        assumeTrue(OverlayMount.javaLoop(), "FUSE_STATX is answered by loop=java only");
        Parity.with().upper(Layouts.UPPER).verify(o -> {
            o.writeFile("new.txt", "new\n");
            o.mkdir("newdir", 0755);
            // never copied up: lower, merged, opaque, pure upper, made through the mount
            for (String p : new String[] {"", "file.txt", "dir", "dir/a.txt", "dir2", "updir", "updir/u.txt", "fifo",
                    "hard2", "empty", "owned.txt", "new.txt", "newdir", "missing"}) {
                o.btime(p, -1);
            }
            // copied up before their first statx: a file, a symlink, directories with a parent
            o.chmod("exec.sh", 0700);
            o.lchown("link", 1, 1);
            o.mkdir("tree/d0/made", 0755);
            o.rename("hard1", "moved");
            int fd = o.open("xattr.txt", O_RDONLY); // still lower: read only
            o.btime("xattr.txt", fd);
            int wfd = o.open("dir/sub/c.txt", O_RDWR);
            o.btime("dir/sub/c.txt", wfd);
            for (String p : new String[] {"exec.sh", "link", "tree", "tree/d0", "tree/d0/made", "moved", "dir/sub",
                    "dir/sub/c.txt", "xattr.txt"}) {
                o.btime(p, -1);
            }
            o.close(fd);
            o.close(wfd);
        });
    }
}
