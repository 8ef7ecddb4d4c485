package org.dockerontop.fuse.regression;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.dockerontop.fuse.parity.Cmd;
import org.dockerontop.fuse.parity.LayerDirs;
import org.dockerontop.fuse.parity.Layouts;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Overlay;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Template;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #418: no O_TMPFILE. An unnamed file made with O_TMPFILE (in a lower directory,
 * which is copied up as for a create) can be written, read back, fstat'ed (nlink 0) and changed
 * through its descriptor or its /proc/self/fd link, can be given a name with linkat(2) (by
 * AT_EMPTY_PATH or by its /proc/self/fd link with AT_SYMLINK_FOLLOW; link(2) of the /proc link
 * itself is EXDEV, as anywhere), and leaves nothing behind in the upper or work directory once
 * closed unless it was linked. Our server keeps no descriptor of it after the last close.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TmpfileRegressionTest {
    /** The mounts' python, also for users who cannot run root's (a pyenv shim under /root). */
    private static final String PY = "env PATH=/usr/local/bin:/usr/bin:/bin python3 - <<'EOF'\n";
    /** Prints what each call returned, or the errno's name. */
    private static final String PRELUDE = """
            import os, ctypes, errno
            libc = ctypes.CDLL(None, use_errno=True)
            AT_FDCWD, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH = -100, 0x400, 0x1000
            def t(what, f, *a):
                try:
                    print(what, '=', f(*a))
                except OSError as e:
                    print(what, '=', errno.errorcode[e.errno])
            def linkat(fd, path, to, flags):
                if libc.linkat(fd, path.encode(), AT_FDCWD, to.encode(), flags) != 0:
                    raise OSError(ctypes.get_errno(), 'linkat')
                return 0
            def st(fd):
                s = os.fstat(fd)
                return (s.st_nlink, oct(s.st_mode), s.st_uid, s.st_gid, s.st_size)
            def proc(fd):
                return '/proc/self/fd/%d' % fd
            """;

    private static String py(String body) {
        return PY + PRELUDE + body + "EOF\n";
    }

    @Test
    void writeReadFstatAndNothingLeft() throws Exception {
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

    @Test
    void changesThroughTheDescriptorAndItsProcLink() throws Exception {
        Parity.check(o -> o.sh(py("""
                os.umask(0o022)
                fd = os.open('dir/sub', os.O_TMPFILE | os.O_RDWR | os.O_APPEND, 0o666)
                t('write', os.write, fd, b'0123456789')
                t('pwrite', os.pwrite, fd, b'ab', 2)
                t('fstat', st, fd)
                t('fchmod', os.fchmod, fd, 0o4750)
                t('ftruncate', os.ftruncate, fd, 6)
                t('fchown', os.fchown, fd, 1000, 1000)
                t('futimens', os.utime, fd, (1000000000, 1000000000))
                t('mtime', lambda: os.fstat(fd).st_mtime)
                t('fstat', st, fd)
                t('fsetxattr', os.setxattr, fd, 'user.k', b'v')
                t('fgetxattr', os.getxattr, fd, 'user.k')
                t('fgetxattr missing', os.getxattr, fd, 'user.none')
                t('flistxattr', os.listxattr, fd)
                t('fremovexattr', os.removexattr, fd, 'user.k')
                t('fremovexattr again', os.removexattr, fd, 'user.k')
                t('stat proc', lambda: os.stat(proc(fd)).st_size)
                t('truncate proc', os.truncate, proc(fd), 3)
                t('chmod proc', os.chmod, proc(fd), 0o600)
                t('setxattr proc', os.setxattr, proc(fd), 'user.p', b'q')
                t('listxattr proc', os.listxattr, proc(fd))
                t('fstat', st, fd)
                t('fsync', os.fsync, fd)
                t('fdatasync', os.fdatasync, fd)
                r = os.open(proc(fd), os.O_RDONLY)
                t('reopen read', os.pread, r, 100, 0)
                t('reopen write', os.write, r, b'x')
                w = os.open(proc(fd), os.O_WRONLY | os.O_TRUNC)
                t('reopen truncated', st, fd)
                os.close(fd)
                t('write after first close', os.write, w, b'still open')
                t('read through reopened', lambda: os.pread(r, 100, 0))
                t('fstat', st, w)
                os.close(r)
                os.close(w)
                t('listdir', sorted, os.listdir('dir/sub'))
                """)));
    }

    @Test
    void linkatGivesItAName() throws Exception {
        Parity.with().upper(Layouts.UPPER).verify(o -> o.sh(py("""
                fd = os.open('tree/d1', os.O_TMPFILE | os.O_RDWR, 0o644)
                t('write', os.write, fd, b'first')
                t('empty path into a lower dir', linkat, fd, '', 'empty/named', AT_EMPTY_PATH)
                t('fstat', st, fd)
                t('proc link, follow, over a whiteout', linkat, AT_FDCWD, proc(fd), 'dir/b.txt', AT_SYMLINK_FOLLOW)
                t('proc link onto an existing name', linkat, AT_FDCWD, proc(fd), 'file.txt', AT_SYMLINK_FOLLOW)
                t('link(2) of the proc link itself', os.link, proc(fd), 'nope')
                t('fstat', st, fd)
                t('pwrite after linking', os.pwrite, fd, b'FIRST', 0)
                t('read the name', lambda: open('empty/named', 'rb').read())
                t('read the other name', lambda: open('dir/b.txt', 'rb').read())
                t('stat the name', lambda: os.stat('dir/b.txt').st_nlink)
                t('same file', lambda: os.stat('dir/b.txt').st_ino == os.fstat(fd).st_ino)
                t('ftruncate after linking', os.ftruncate, fd, 2)
                t('size through the name', lambda: os.stat('empty/named').st_size)
                t('unlink a name', os.unlink, 'empty/named')
                t('fstat', st, fd)
                os.close(fd)
                x = os.open('dir', os.O_TMPFILE | os.O_WRONLY | os.O_EXCL, 0o600)
                t('O_EXCL: not linkable', linkat, x, '', 'dir/excl', AT_EMPTY_PATH)
                t('O_EXCL: not by proc either', linkat, AT_FDCWD, proc(x), 'dir/excl', AT_SYMLINK_FOLLOW)
                os.close(x)
                t('on a file', os.open, 'file.txt', os.O_TMPFILE | os.O_WRONLY, 0o600)
                t('read-only', os.open, 'dir', os.O_TMPFILE | os.O_RDONLY, 0o600)
                t('missing dir', os.open, 'nowhere', os.O_TMPFILE | os.O_WRONLY, 0o600)
                t('listdir', sorted, os.listdir('dir'))
                """)));
    }

    /** The kernel overlay has one inode; here the descriptor and the name are two nodes kept in step. */
    @Test
    void changesThroughEitherSideOnceNamed() throws Exception {
        Parity.check(o -> o.sh(py("""
                fd = os.open('dir', os.O_TMPFILE | os.O_RDWR, 0o644)
                t('write', os.write, fd, b'aaaa')
                t('pread', os.pread, fd, 10, 0)
                t('name it', linkat, fd, '', 'dir/n', AT_EMPTY_PATH)
                t('read the name', lambda: open('dir/n', 'rb').read())
                t('stat the name', lambda: os.stat('dir/n').st_size)
                t('pwrite, same size', os.pwrite, fd, b'bbbb', 0)
                t('read the name', lambda: open('dir/n', 'rb').read())
                w = os.open('dir/n', os.O_WRONLY)
                t('pwrite through the name, same size', os.pwrite, w, b'cccc', 0)
                t('pread the descriptor', os.pread, fd, 4, 0)
                t('truncate the name', os.truncate, 'dir/n', 2)
                t('fstat the descriptor', st, fd)
                t('pread the descriptor', os.pread, fd, 10, 0)
                t('ftruncate the descriptor', os.ftruncate, fd, 1)
                t('stat the name', lambda: os.stat('dir/n').st_size)
                t('chmod the name', os.chmod, 'dir/n', 0o600)
                t('fstat the descriptor', st, fd)
                t('fchmod the descriptor', os.fchmod, fd, 0o640)
                t('stat the name', lambda: oct(os.stat('dir/n').st_mode))
                t('fchown the descriptor', os.fchown, fd, 1000, 1000)
                t('stat the name', lambda: os.stat('dir/n').st_uid)
                t('fsetxattr the descriptor', os.setxattr, fd, 'user.x', b'1')
                t('getxattr the name', os.getxattr, 'dir/n', 'user.x')
                t('second name', os.link, 'dir/n', 'dir/n2')
                t('fstat the descriptor', st, fd)
                t('pwrite', os.pwrite, fd, b'd', 0)
                t('read the second name', lambda: open('dir/n2', 'rb').read())
                os.close(w)
                os.close(fd)
                """)));
    }

    /**
     * The flaky failure of {@link #changesThroughEitherSideOnceNamed} (its pread of the descriptor
     * saw bbbb where cccc had been written through the name, about once in 300 runs of those
     * steps; found with bench/hardlink-check.py's tmpfile set-up and a loop of the test's steps):
     * the server learnt that the descriptor's node is one of the file's names only after its
     * reply to the linkat, so a write through the new name made right away left the descriptor's
     * cached pages stale, for good. Four processes at once make the worker that answered the
     * linkat lose its CPU before it noted that, often enough (30-60 stale reads in 4,000 before
     * the fix); the kernel overlay runs the same as the control.
     */
    @Test
    void writeThroughTheNameRightAfterLinkat() throws Exception {
        String script = py("""
                import sys
                base, n = sys.argv[1], int(sys.argv[2])
                os.mkdir(base)
                bad = []
                for i in range(n):
                    fd = os.open(base, os.O_TMPFILE | os.O_RDWR, 0o644)
                    os.write(fd, b'aaaa')
                    os.pread(fd, 10, 0)  # the descriptor's node caches the page
                    name = '%s/n%d' % (base, i)
                    linkat(fd, '', name, AT_EMPTY_PATH)
                    w = os.open(name, os.O_WRONLY)
                    os.pwrite(w, b'cccc', 0)
                    got = os.pread(fd, 4, 0)
                    if got != b'cccc':
                        bad.append((i, got))
                    os.close(w)
                    os.close(fd)
                print('stale reads:', len(bad), bad[:3])
                """);
        for (Overlay overlay : List.of(Overlay.kernel(), Overlay.underTest())) {
            Path base = Parity.tempBase();
            try {
                LayerDirs d = Parity.prepare(base.resolve(overlay.name()), Layouts.LOWER, Template.EMPTY);
                try (Overlay.Mounted m = overlay.mount(d)) {
                    StringBuilder all = new StringBuilder();
                    for (int p = 0; p < 4; p++) {
                        all.append("(").append(script.replace("python3 - <<", "python3 - race" + p + " 1000 <<"))
                                .append(") > out" + p + " 2>&1 &\n");
                    }
                    all.append("wait; cat out0 out1 out2 out3; rm -f out0 out1 out2 out3\n");
                    Cmd.Result r = Cmd.run(List.of("sh", "-c", all.toString()), m.mnt(), 300);
                    assertEquals(0, r.exit(), r.describe(List.of("four linkat loops")));
                    assertEquals("stale reads: 0 []\n".repeat(4), r.stdout(), overlay.name());
                }
            } finally {
                Parity.cleanUp(base);
            }
        }
    }

    @Test
    void unprivilegedUsers() throws Exception {
        Parity.check(o -> {
            o.chmod("tree/d2", 02777);
            o.shAs(Layouts.USER, Layouts.USER, py("""
                    os.umask(0o027)
                    for d in ['tree/d0', 'tree/d2', 'dir2', 'root', '.']:
                        try:
                            fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o666)
                        except OSError as e:
                            print(d, errno.errorcode[e.errno])
                            continue
                        t(d + ' fstat', st, fd)
                        t(d + ' fsetxattr', os.setxattr, fd, 'user.a', b'b')
                        t(d + ' link', linkat, fd, '', d + '/mine', AT_EMPTY_PATH)
                        t(d + ' fchmod', os.fchmod, fd, 0o200)
                        t(d + ' reopen for reading', lambda: os.close(os.open(proc(fd), os.O_RDONLY)))
                        t(d + ' fchown', os.fchown, fd, 0, 0)
                        os.close(fd)
                    """));
            o.shAs(65534, 65534, py("""
                    t('not writable', os.open, 'tree/d0', os.O_TMPFILE | os.O_WRONLY, 0o600)
                    t('set-group-ID dir', lambda: st(os.open('tree/d2', os.O_TMPFILE | os.O_WRONLY, 0o600)))
                    """));
            o.ls("tree/d0");
            o.ls("tree/d2");
        });
    }

    @Test
    void manyUnnamedFilesSomeLinkedSomeOpenTogether() throws Exception {
        Parity.check(o -> o.sh(py("""
                held = []
                for i in range(600):
                    d = ['dir', 'tree/d0', 'empty', '.'][i % 4]
                    fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o600)
                    os.write(fd, b'%d' % i)
                    if i % 75 == 0:
                        linkat(fd, '', d + '/kept%d' % i, AT_EMPTY_PATH)
                    if i % 50 == 0:
                        os.close(os.open(proc(fd), os.O_RDONLY))
                    if i % 3 == 0:
                        held.append(fd)
                    else:
                        os.close(fd)
                    if len(held) == 64:
                        for h in held:
                            os.close(h)
                        held = []
                for h in held:
                    os.close(h)
                print('done')
                """)));
    }

    /** Our server's descriptors and the layers, after many unnamed files came and went. */
    @Test
    void noDescriptorOrFileLeftBehind() throws Exception {
        Overlay fuse = Overlay.underTest();
        Path base = Parity.tempBase();
        try {
            LayerDirs d = Parity.prepare(base.resolve("tmpfile"), Layouts.LOWER, Template.EMPTY);
            try (Overlay.Mounted m = fuse.mount(d)) {
                long pid = m.serverPid();
                Assumptions.assumeTrue(pid > 0, "the mount under test has no server process (kernel control run)");
                String script = py("""
                        import sys
                        n = int(sys.argv[1])
                        held = []
                        for i in range(n):
                            fd = os.open(['dir', 'tree/d1', '.'][i % 3], os.O_TMPFILE | os.O_RDWR, 0o600)
                            os.write(fd, b'x' * (i % 5000))
                            if i % 10 == 0:
                                os.close(os.open(proc(fd), os.O_RDONLY))
                            held.append(fd)
                            if len(held) == 100:
                                for h in held:
                                    os.close(h)
                                held = []
                        for h in held:
                            os.close(h)
                        """);
                Cmd.Result warm = Cmd.run(List.of("sh", "-c", withArgument(script, 200)), m.mnt(), 120);
                assertEquals(0, warm.exit(), warm.describe(List.of("warm-up")));
                long fds0 = ResourceLeakRegressionTest.openFds(pid);
                Cmd.Result r = Cmd.run(List.of("sh", "-c", withArgument(script, 3000)), m.mnt(), 300);
                assertEquals(0, r.exit(), r.describe(List.of("3000 unnamed files")));
                long fds1 = ResourceLeakRegressionTest.settledFds(pid, fds0 + ResourceLeakRegressionTest.FD_SLACK);
                System.out.printf("FUSE server %d: fds %d -> %d over 3000 unnamed files%n", pid, fds0, fds1);
                assertTrue(fds1 <= fds0 + ResourceLeakRegressionTest.FD_SLACK,
                        "fds grew over 3000 unnamed files: " + fds0 + " -> " + fds1);
            }
            // only the copied-up directories are left in the upper layer, nothing in the workdir
            assertAll(
                    () -> assertEquals(List.of("dir", "tree", "tree/d1"), tree(d.upper())),
                    () -> assertEquals(List.of("work"), tree(d.work())));
        } finally {
            Parity.cleanUp(base);
        }
    }

    private static String withArgument(String script, int n) {
        return script.replace("python3 - <<", "python3 - " + n + " <<");
    }

    private static List<String> tree(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }
}
