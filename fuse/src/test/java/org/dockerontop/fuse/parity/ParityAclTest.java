package org.dockerontop.fuse.parity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * POSIX ACLs work as on the kernel overlay: the permission checks honour the ACLs of both layers
 * (an ACL can grant a user more than the modes say, and its group entry can give the owning group
 * less), ACLs can be set through the mount, and new entries inherit a directory's default ACL with
 * the caller's umask ignored, as the kernel ignores it there.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityAclTest {
    static final int NOBODY = 65534;
    /** A user with no named ACL entry, in the files' owning group 4242. */
    static final int MEMBER = 4300;
    static final int GROUP = 4242;

    static final Template ACLS = t -> {
        t.file("shared.txt", "shared\n", 0600).acl("shared.txt", "u:65534:r")
                .file("grouped.txt", "grouped\n", 0660).owner("grouped.txt", 0, GROUP).acl("grouped.txt", "g::r,u:65534:rw")
                .file("plain.txt", "plain\n", 0600)
                .file("h1", "linked\n", 0600).hardlink("h1", "h2")
                .dir("closed", 0700).file("closed/inner", "inner\n", 0644).acl("closed", "u:65534:rx")
                .dir("team", 0770).acl("team", "u:65534:rwx").acl("team", "d:u:65534:rw").acl("team", "d:g::rwx")
                .file("team/doc", "doc\n", 0660)
                .dir("team/sub", 0770)
                .dir("bare", 0777);
    };

    @Test
    void permissionChecksHonourTheAclsOfTheBase() throws Exception {
        Parity.with().lower(ACLS).verify(o -> {
            o.shAs(NOBODY, NOBODY, "cat shared.txt");
            o.shAs(NOBODY, NOBODY, "echo x >> shared.txt");
            o.shAs(NOBODY, NOBODY, "ls closed && cat closed/inner");
            o.shAs(NOBODY, NOBODY, "echo nobody >> grouped.txt && cat grouped.txt");
            // the modes say the group may write (0660: the mask); its ACL entry says read only
            o.shAs(MEMBER, GROUP, "cat grouped.txt");
            o.shAs(MEMBER, GROUP, "echo member >> grouped.txt");
            o.shAs(MEMBER, MEMBER, "cat grouped.txt");
            o.sh("getfacl -p shared.txt grouped.txt closed team");
        });
    }

    @Test
    void aclsSetThroughTheMountAreStoredAndEnforced() throws Exception {
        Parity.with().lower(ACLS).verify(o -> {
            o.shAs(NOBODY, NOBODY, "cat plain.txt");
            o.sh("setfacl -m u:65534:r plain.txt && getfacl -p plain.txt && stat -c '%a' plain.txt");
            o.shAs(NOBODY, NOBODY, "cat plain.txt");
            o.sh("setfacl -x u:65534 plain.txt && getfacl -p plain.txt");
            o.shAs(NOBODY, NOBODY, "cat plain.txt");
            // a mask entry changes the group bits of the mode, and chmod changes the mask
            o.sh("setfacl -m m::--- shared.txt && stat -c '%a' shared.txt");
            o.shAs(NOBODY, NOBODY, "cat shared.txt");
            o.sh("chmod 640 shared.txt && getfacl -p shared.txt");
            o.shAs(NOBODY, NOBODY, "cat shared.txt");
            o.sh("setfacl -b grouped.txt && getfacl -p grouped.txt && stat -c '%a' grouped.txt");
            o.sh("echo new > fresh && setfacl -m g:4242:rw fresh && getfacl -p fresh");
            o.shAs(MEMBER, GROUP, "echo more >> fresh && cat fresh");
            // the other name of a hard link has the same ACL
            o.sh("setfacl -m u:65534:r h1");
            o.shAs(NOBODY, NOBODY, "cat h2");
            o.shAs(NOBODY, NOBODY, "setfacl -m u:65534:rw plain.txt");
        });
    }

    /**
     * Setting an ACL clears the set-group-ID bit when the caller is not in the file's group (and
     * lacks CAP_FSETID), as chmod would: otherwise an owner could keep a group's privileges it
     * does not have (CVE-2016-7097).
     */
    @Test
    void settingAnAclOutsideTheFilesGroupClearsSetGid() throws Exception {
        Parity.with().lower(ACLS).verify(o -> {
            o.sh("for f in plain.txt shared.txt; do chown 1000:4242 $f && chmod 2770 $f; done && stat -c '%a %n' plain.txt shared.txt");
            o.shAs(1000, 1000, "setfacl -m u:65534:r plain.txt && stat -c '%a' plain.txt");
            o.shAs(1000, GROUP, "setfacl -m u:65534:r shared.txt && stat -c '%a' shared.txt");
            o.sh("setfacl -m u:65534:rw shared.txt && stat -c '%a' shared.txt");
        });
    }

    @Test
    void newEntriesInheritTheDefaultAclAndIgnoreTheUmask() throws Exception {
        Parity.with().lower(ACLS).verify(o -> {
            // team is a base directory: copied up with its default ACL first
            o.sh("umask 022 && touch team/new && mkdir team/newdir && mkfifo team/fifo && ln -s new team/sym"
                    + " && stat -c '%a %n' team/new team/newdir team/fifo"
                    + " && getfacl -p team/new team/newdir team/fifo");
            // created over a whiteout of a base entry (made in the workdir, then moved into place)
            o.sh("umask 022 && rm team/doc && touch team/doc && rm -r team/sub && mkdir team/sub"
                    + " && stat -c '%a %n' team/doc team/sub && getfacl -p team/doc team/sub");
            // an O_TMPFILE file (0o100660: the umask ignored) and one where no default ACL applies
            o.sh("umask 022 && env PATH=/usr/local/bin:/usr/bin:/bin python3 -c \"import os\n"
                    + "print(oct(os.fstat(os.open('team', os.O_TMPFILE | os.O_WRONLY, 0o666)).st_mode))\n"
                    + "print(oct(os.fstat(os.open('bare', os.O_TMPFILE | os.O_WRONLY, 0o666)).st_mode))\"");
            o.shAs(NOBODY, NOBODY, "echo by-nobody > team/new && cat team/new");
            // a directory made through the mount
            o.sh("mkdir up && setfacl -m d:u:65534:rwx,d:o::- up && umask 077 && mkdir up/d && touch up/f"
                    + " && stat -c '%a %n' up/d up/f && getfacl -p up/d up/f");
            // without a default ACL the umask applies as before
            o.sh("umask 027 && touch bare/f && mkdir bare/d && stat -c '%a %n' bare/f bare/d");
        });
    }
}
