package org.dockerontop.fuse.parity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A non-root user gets exactly the access the modes give (the FUSE mount must use
 * allow_other,default_permissions): same exit codes and messages as on the kernel overlay.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityPermissionTest {
    static final int NOBODY = 65534;

    @Test
    void nobodyReadsOnlyWhatModesAllow() throws Exception {
        Parity.check(o -> {
            o.shAs(NOBODY, NOBODY, "cat root/public");
            o.shAs(NOBODY, NOBODY, "cat root/secret");
            o.shAs(NOBODY, NOBODY, "cat root/closed/inner");
            o.shAs(NOBODY, NOBODY, "ls root/closed");
            o.shAs(NOBODY, NOBODY, "ls root");
            o.shAs(NOBODY, NOBODY, "cat dir/sub/deeper/d.txt");
            o.shAs(NOBODY, NOBODY, "ls dir2");
            o.shAs(NOBODY, NOBODY, "test -r root/secret; echo r=$? ; test -w root/public; echo w=$?; test -x exec.sh; echo x=$?");
        });
    }

    /**
     * Modes reach the layers exactly as the caller's umask left them (the server's own umask must
     * not strip more): pjdfstest open/02, chmod/12, rename/21 found 0620 -> 0600 and 0777 -> 0755.
     */
    @Test
    void newEntriesKeepTheModeTheCallerAskedFor() throws Exception {
        Parity.check(o -> {
            o.sh("umask 0 && touch f666 && mkdir -m 1777 sticky && mkdir -m 0777 open && mkfifo -m 0666 fifo"
                    + " && python3 -c \"import os; os.close(os.open('f4777', os.O_CREAT | os.O_WRONLY, 0o4777))\""
                    + " && stat -c '%n %a' f666 sticky open fifo f4777");
            o.sh("umask 027 && touch masked && mkdir masked.d && stat -c '%n %a' masked masked.d");
            o.shAs(NOBODY, NOBODY, "touch open/by-nobody && mv open/by-nobody open/moved && ls open");
        });
    }

    @Test
    void nobodyCannotWriteRootFiles() throws Exception {
        Parity.check(o -> {
            o.shAs(NOBODY, NOBODY, "echo x >> root/public");
            o.shAs(NOBODY, NOBODY, "echo x > root/public");
            o.shAs(NOBODY, NOBODY, "truncate -s 0 root/public");
            o.shAs(NOBODY, NOBODY, "touch root/new");
            o.shAs(NOBODY, NOBODY, "mkdir root/newdir");
            o.shAs(NOBODY, NOBODY, "rm -f root/public");
            o.shAs(NOBODY, NOBODY, "mv root/public root/moved");
            o.shAs(NOBODY, NOBODY, "chmod 777 root/public");
            o.shAs(NOBODY, NOBODY, "chown nobody root/public");
            o.shAs(NOBODY, NOBODY, "touch -d 2000-01-01 root/public");
            o.shAs(NOBODY, NOBODY, "setfattr -n user.x -v 1 root/public");
            o.shAs(NOBODY, NOBODY, "ln root/public mylink");
            o.shAs(NOBODY, NOBODY, "ln -s root/public mysym");
            o.ls("root");
            o.stat("root/public");
            o.readFile("root/public");
        });
    }

    @Test
    void ownerCanWorkOnOwnFiles() throws Exception {
        Parity.check(o -> {
            int u = Layouts.USER;
            o.shAs(u, u, "echo more >> owned.txt && cat owned.txt");
            o.shAs(u, u, "chmod 600 owned.txt && stat -c %a owned.txt");
            o.shAs(u, u, "touch -d 2010-01-01 owned.txt && stat -c %Y owned.txt");
            o.shAs(u, u, "chown 0 owned.txt");
            o.shAs(u, u, "mkdir dir2/mine && echo m > dir2/mine/f && stat -c '%A %u %g %s %n' dir2/mine/f");
            o.shAs(u, u, "rm dir2/x.txt && ls dir2");
            o.shAs(u, u, "setfattr -n user.mine -v yes owned.txt && getfattr -n user.mine --only-values owned.txt");
            o.shAs(u, u, "echo no > tree/d0/f0");
            o.shAs(u, u, "rm tree/d0/f0 && ls tree/d0");
            o.shAs(u, u, "cat root/secret");
            o.stat("owned.txt");
            o.stat("dir2/mine");
            o.stat("dir2/mine/f");
        });
    }

    /** access(2) and opens by a user whose only way in is the "other" bits. */
    @Test
    void groupAndOtherBits() throws Exception {
        Parity.check(o -> {
            o.chmod("file.txt", 0604);
            o.chown("file.txt", 0, 4242);
            o.shAs(NOBODY, 4242, "cat file.txt");
            o.shAs(NOBODY, NOBODY, "cat file.txt");
            o.chmod("file.txt", 0640);
            o.shAs(NOBODY, 4242, "cat file.txt");
            o.shAs(NOBODY, NOBODY, "cat file.txt");
            o.chmod("empty", 0733);
            o.shAs(NOBODY, NOBODY, "ls empty");
            o.shAs(NOBODY, NOBODY, "touch empty/dropped && stat -c '%A %u %g %s %n' empty/dropped");
        });
    }

    /**
     * The caller's umask alone decides the modes of what it creates: the kernel applies it before
     * the request reaches the server, whose own umask must not take bits away again.
     */
    @Test
    void callersUmaskAloneAppliesToNewEntries() throws Exception {
        Parity.check(o -> {
            for (String mask : new String[] {"000", "077"}) {
                o.sh("umask " + mask + " && : > new" + mask + " && mkdir dir" + mask + " && mkfifo fifo" + mask
                        + " && stat -c '%A %n' new" + mask + " dir" + mask + " fifo" + mask
                        + " && env PATH=/usr/local/bin:/usr/bin:/bin python3 -c \"import os\n"
                        + "fd = os.open('tree', os.O_TMPFILE | os.O_WRONLY, 0o777)\n"
                        + "print(oct(os.fstat(fd).st_mode))\"");
            }
        });
    }
}
