package org.dockerontop.fuse.regression;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Parity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #418: no O_TMPFILE. An unnamed file made with O_TMPFILE in a lower directory can be
 * written, read back and fstat'ed (nlink 0), and leaves nothing behind once closed. (Naming it with
 * linkat through /proc/self/fd is not part of it: the kernel overlay answers EXDEV there, since the fd
 * resolves to the upper file.)
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TmpfileRegressionTest {

    @Tag("known-failing")
    @Test
    void oTmpfileThenLinkat() throws Exception {
        Parity.check(o -> {
            o.sh("python3 -c \"import os\n"
                    + "fd = os.open('dir', os.O_TMPFILE | os.O_RDWR, 0o640)\n"
                    + "print(os.write(fd, b'made unnamed'))\n"
                    + "print(os.pread(fd, 100, 0))\n"
                    + "st = os.fstat(fd)\n"
                    + "print(st.st_nlink, oct(st.st_mode), st.st_size)\n"
                    + "os.close(fd)\n"
                    + "fd2 = os.open('tree/d0', os.O_TMPFILE | os.O_WRONLY, 0o600)\n"
                    + "os.write(fd2, b'never linked')\n"
                    + "os.close(fd2)\n\"");
            o.ls("dir");
            o.ls("tree/d0");
        });
    }
}
