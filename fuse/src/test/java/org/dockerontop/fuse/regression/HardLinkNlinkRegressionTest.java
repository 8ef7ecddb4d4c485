package org.dockerontop.fuse.regression;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Parity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #435, #401, #192, #391: wrong nlink and inode numbers after hard links. Tools that
 * detect hard links by (st_dev, st_ino) with nlink > 1 (cp -a, tar, rsync -H, du) must see the same
 * links as on the kernel overlay.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HardLinkNlinkRegressionTest {

    @Test
    void nlinkAfterEachHardLinkAndUnlink() throws Exception {
        Parity.check(o -> {
            o.writeFile("n.txt", "n\n");
            for (int i = 1; i <= 5; i++) {
                o.link("n.txt", "n.link" + i);
                o.stat("n.txt");
                o.stat("n.link" + i);
            }
            for (int i = 1; i <= 5; i++) {
                o.unlink("n.link" + i);
                o.stat("n.txt");
            }
            // a lower file linked through the mount: copied up first
            o.link("file.txt", "dir/file.hl");
            o.link("dir/file.hl", "tree/file.hl");
            o.stat("file.txt");
            o.stat("tree/file.hl");
            o.unlink("file.txt");
            o.stat("dir/file.hl");
            // lower hard links: hard1/hard2 (nlink 2 in the lower)
            o.stat("hard1");
            o.link("hard2", "hard3");
            o.stat("hard1");
            o.stat("hard2");
            o.stat("hard3");
        });
    }

    /** pjdfstest rename/23: a file renamed over one name of a linked file changes the other's count. */
    @Test
    void renameOverOneNameOfALinkedFile() throws Exception {
        Parity.check(o -> {
            o.sh("echo x > a && ln a b && stat -c '%n %h' a b");
            o.sh("echo y > c && mv c a && stat -c '%n %h' a b && cat a b");
            o.sh("ln b d && echo z > e && mv -f e d && stat -c '%n %h' b d");
        });
    }

    @Test
    void toolsSeeTheSameHardLinks() throws Exception {
        Parity.check(o -> {
            o.sh("mkdir src && echo a > src/a && ln src/a src/b && ln src/a src/c && echo d > src/d");
            o.sh("cp -a src copy && stat -c '%n %h' copy/* | sort");
            o.sh("cp -a hard1 hard2 dir/ && stat -c '%n %h' dir/hard1 dir/hard2");
            o.sh("tar -cf - src hard1 hard2 | tar -tvf - | awk '{print $6, $7, $8}'");
            o.sh("find . -xdev -type f -links +1 | sort");
            o.sh("ls -li src | awk 'NR>1 {print $3, $NF}'");
            o.sh("[ $(stat -c %i src/a) = $(stat -c %i src/b) ] && echo same-ino");
            o.sh("du -s --apparent-size -b src copy | awk '{print $1}'");
        });
    }
}
