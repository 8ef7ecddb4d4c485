package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.format.OverlayXattrs;
import org.dockerontop.overlay.format.UpperFormat;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlay semantics through a real mount: what the kernel overlay does, we do. */
class OverlaySemanticsTest {
    @TempDir
    Path tmp;
    OverlayMount m;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
        m = new OverlayMount(tmp);
        Files.writeString(m.lower.resolve("file"), "lower data\n");
        Files.createDirectories(m.lower.resolve("dir/sub"));
        Files.writeString(m.lower.resolve("dir/a"), "a\n");
        Files.writeString(m.lower.resolve("dir/sub/b"), "b\n");
        Files.createSymbolicLink(m.lower.resolve("link"), Path.of("file"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (m != null) {
            m.close();
        }
    }

    private static Set<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Pointer lstat(Path p) {
        Pointer st = Native.allocate(Stat.SIZE);
        Native.check(Native.LIBC.fstatat(Native.AT_FDCWD, p.toString(), st, Native.AT_SYMLINK_NOFOLLOW), "lstat", p.toString());
        return st;
    }

    private static boolean isDeviceWhiteout(Path p) {
        return UpperFormat.isDeviceWhiteout(lstat(p));
    }

    private static void setXattr(Path p, String name, String value) {
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        Native.check(Native.LIBC.lsetxattr(p.toString(), name, v, v.length, 0), "setxattr", p.toString());
    }

    @Test
    void mergesLayersAndReadsLowerFiles() throws Exception {
        Files.createDirectories(m.upper.resolve("dir"));
        Files.writeString(m.upper.resolve("dir/u"), "u\n");
        Files.writeString(m.upper.resolve("top"), "top\n");
        m.mount();
        assertEquals(Set.of("dir", "file", "link", "top"), list(m.mnt));
        assertEquals(Set.of("a", "sub", "u"), list(m.mnt.resolve("dir")));
        assertEquals("lower data\n", Files.readString(m.mnt.resolve("file")));
        assertEquals("lower data\n", Files.readString(m.mnt.resolve("link")));
        assertEquals(Path.of("file"), Files.readSymbolicLink(m.mnt.resolve("link")));
        assertEquals("u\n", Files.readString(m.mnt.resolve("dir/u")));
        assertFalse(Files.exists(m.mnt.resolve("nope")));
    }

    @Test
    void writeCopiesUpKeepingMetadataAndLeavesLowerAlone() throws Exception {
        Path lf = m.lower.resolve("file");
        Files.setPosixFilePermissions(lf, PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(lf, FileTime.fromMillis(1_000_000_000_000L));
        Native.check(Native.LIBC.lchown(lf.toString(), 1234, 5678), "chown", lf.toString());
        setXattr(lf, "user.color", "blue");
        m.mount();
        Files.writeString(m.mnt.resolve("file"), "more\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals("lower data\nmore\n", Files.readString(m.mnt.resolve("file")));
        assertEquals("lower data\n", Files.readString(lf));
        Path uf = m.upper.resolve("file");
        assertEquals("lower data\nmore\n", Files.readString(uf));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(uf)));
        Pointer st = lstat(uf);
        assertEquals(1234, Stat.uid(st));
        assertEquals(5678, Stat.gid(st));
        byte[] v = new byte[16];
        assertEquals(4, Native.LIBC.lgetxattr(uf.toString(), "user.color", v, v.length));
        // the copy-up itself did not change the parent directory's times
        assertEquals(Files.getLastModifiedTime(m.lower), Files.getLastModifiedTime(m.lower));
    }

    @Test
    void aRenameThatFailsAfterTheCopyUpLeavesTheParentsTimes() throws Exception {
        Path ud = Files.createDirectories(m.upper.resolve("dir"));
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        m.mount();
        Files.setLastModifiedTime(m.mnt.resolve("dir"), old);
        // a file onto a directory: EISDIR, found after the source was copied up
        int rc = Native.LIBC.rename(m.mnt.resolve("dir/a").toString(), m.mnt.resolve("dir/sub").toString());
        assertEquals(-1, rc);
        assertEquals(Errno.EISDIR, Native.errno());
        assertEquals(old, Files.getLastModifiedTime(ud));
        assertEquals("a\n", Files.readString(m.mnt.resolve("dir/a")));
        // a rename that succeeds sets them, as the kernel's does
        Files.move(m.mnt.resolve("dir/a"), m.mnt.resolve("dir/c"));
        assertNotEquals(old, Files.getLastModifiedTime(ud));
        assertEquals("a\n", Files.readString(m.mnt.resolve("dir/c")));
        try (Stream<Path> w = Files.walk(m.work)) {
            assertEquals(List.of(), w.filter(f -> f.getFileName().toString().startsWith("#")).collect(Collectors.toList()),
                    "copy-ups leave nothing in the workdir");
        }
    }

    @Test
    void copyUpKeepsHolesAndLargeOffsets() throws Exception {
        long size = 5L << 30; // over 4 GiB, almost all hole
        try (RandomAccessFile f = new RandomAccessFile(m.lower.resolve("sparse").toFile(), "rw")) {
            f.setLength(size);
            f.seek(size - 4);
            f.write("tail".getBytes(StandardCharsets.US_ASCII));
        }
        m.mount();
        try (RandomAccessFile f = new RandomAccessFile(m.mnt.resolve("sparse").toFile(), "rw")) {
            assertEquals(size, f.length());
            f.seek(4L << 30);
            f.write("mid!".getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[4];
            f.seek(size - 4);
            f.readFully(b);
            assertEquals("tail", new String(b, StandardCharsets.US_ASCII));
        }
        Pointer st = lstat(m.upper.resolve("sparse"));
        assertEquals(size, Stat.size(st));
        long blocks = st.getLong(64);
        assertTrue(blocks * 512 < (64L << 20), "copy-up must keep holes, used " + blocks * 512 + " bytes");
    }

    @Test
    void createAndUnlinkLeaveKernelWhiteouts() throws Exception {
        m.mount();
        Files.writeString(m.mnt.resolve("new"), "n\n");
        assertEquals("n\n", Files.readString(m.upper.resolve("new")));
        Files.delete(m.mnt.resolve("new"));
        assertFalse(Files.exists(m.upper.resolve("new"), LinkOption.NOFOLLOW_LINKS), "no whiteout for an upper-only file");
        Files.delete(m.mnt.resolve("file"));
        assertFalse(Files.exists(m.mnt.resolve("file")));
        assertTrue(isDeviceWhiteout(m.upper.resolve("file")));
        assertEquals(Set.of("dir", "link"), list(m.mnt));
        assertTrue(Files.exists(m.lower.resolve("file")));
        // re-creating over the whiteout works and shows the new content only
        Files.writeString(m.mnt.resolve("file"), "again\n");
        assertEquals("again\n", Files.readString(m.mnt.resolve("file")));
        assertEquals("again\n", Files.readString(m.upper.resolve("file")));
    }

    @Test
    void removedLowerDirectoryRecreatedIsOpaque() throws Exception {
        m.mount();
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(m.mnt.resolve("dir")));
        Files.delete(m.mnt.resolve("dir/sub/b"));
        Files.delete(m.mnt.resolve("dir/sub"));
        Files.delete(m.mnt.resolve("dir/a"));
        Files.delete(m.mnt.resolve("dir"));
        assertTrue(isDeviceWhiteout(m.upper.resolve("dir")));
        Files.createDirectory(m.mnt.resolve("dir"));
        assertEquals(Set.of(), list(m.mnt.resolve("dir")));
        assertTrue(UpperFormat.isOpaque(m.upper.resolve("dir").toString()));
    }

    @Test
    void readsEveryWhiteoutFormAndOpaqueDirectories() throws Exception {
        Files.writeString(m.lower.resolve("gone-dev"), "x");
        Files.writeString(m.lower.resolve("gone-xattr"), "x");
        Files.writeString(m.lower.resolve("dir/gone-in-marked-dir"), "x");
        Files.createDirectories(m.upper.resolve("dir"));
        UpperFormat.createWhiteout(m.upper.resolve("gone-dev").toString(), UpperFormat.WhiteoutForm.DEVICE);
        UpperFormat.createWhiteout(m.upper.resolve("gone-xattr").toString(), UpperFormat.WhiteoutForm.XATTR);
        UpperFormat.createWhiteout(m.upper.resolve("dir/gone-in-marked-dir").toString(), UpperFormat.WhiteoutForm.XATTR);
        UpperFormat.markXattrWhiteouts(m.upper.resolve("dir").toString());
        Files.createDirectories(m.lower.resolve("hidden/x"));
        Files.createDirectories(m.upper.resolve("hidden"));
        UpperFormat.setOpaque(m.upper.resolve("hidden").toString());
        m.mount();
        assertFalse(Files.exists(m.mnt.resolve("gone-dev")));
        assertFalse(Files.exists(m.mnt.resolve("gone-xattr")));
        assertFalse(Files.exists(m.mnt.resolve("dir/gone-in-marked-dir")));
        assertFalse(list(m.mnt).contains("gone-dev"));
        // as in the kernel, which honours no marker in an upper directory: listed, though no lookup
        // finds it (ParityDirectoryTest.xattrWhiteoutsInTheUpperLayer); this mount writes device whiteouts
        assertEquals(Set.of("a", "sub", "gone-in-marked-dir"), list(m.mnt.resolve("dir")));
        assertEquals(Set.of(), list(m.mnt.resolve("hidden")));
    }

    @Test
    void hidesOverlayPrivateXattrsAndEscapesUserOnes() throws Exception {
        Files.createDirectories(m.upper.resolve("dir"));
        setXattr(m.upper.resolve("dir"), "trusted.overlay.origin", "zzz");
        setXattr(m.upper.resolve("dir"), "user.keep", "1");
        m.mount();
        Path d = m.mnt.resolve("dir");
        byte[] list = new byte[1024];
        long n = Native.LIBC.llistxattr(d.toString(), list, list.length);
        String names = new String(list, 0, (int) Math.max(0, n), StandardCharsets.UTF_8);
        assertTrue(names.contains("user.keep"), names);
        assertFalse(names.contains("trusted.overlay"), names);
        setXattr(d, "trusted.overlay.mine", "v");
        byte[] v = new byte[8];
        assertEquals(1, Native.LIBC.lgetxattr(m.upper.resolve("dir").toString(), OverlayXattrs.ESCAPED_PREFIX + "mine", v, v.length));
        assertEquals(1, Native.LIBC.lgetxattr(d.toString(), "trusted.overlay.mine", v, v.length));
    }

    /**
     * The kernel overlay has RENAME_EXCHANGE, and so has loop=java (ParityRenameExchangeTest);
     * libfuse 2 knows no RENAME2, and ours refuses it there rather than doing a plain rename.
     */
    @Test
    void renameExchangeIsRefusedWithEinvalOnLibfuseAndChangesNothing() throws Exception {
        assumeFalse(OverlayMount.javaLoop(), "loop=java exchanges");
        m.mount();
        Files.writeString(m.mnt.resolve("other"), "other\n");
        int exchange = 2;
        assertEquals(-1, Native.LIBC.renameat2(Native.AT_FDCWD, m.mnt.resolve("file").toString(), Native.AT_FDCWD,
                m.mnt.resolve("other").toString(), exchange));
        assertEquals(Errno.EINVAL, Native.errno());
        assertEquals("lower data\n", Files.readString(m.mnt.resolve("file")));
        assertEquals("other\n", Files.readString(m.mnt.resolve("other")));
    }

    @Test
    void renamingALowerDirectoryIsExdevButFilesAndUpperDirsMove() throws Exception {
        m.mount();
        assertEquals(18, errnoOf("mv -T --no-copy " + m.mnt.resolve("dir") + " " + m.mnt.resolve("moved")));
        Files.move(m.mnt.resolve("file"), m.mnt.resolve("file2"));
        assertEquals("lower data\n", Files.readString(m.mnt.resolve("file2")));
        assertFalse(Files.exists(m.mnt.resolve("file")));
        assertTrue(isDeviceWhiteout(m.upper.resolve("file")));
        Files.createDirectories(m.mnt.resolve("new/deeper"));
        Files.move(m.mnt.resolve("new"), m.mnt.resolve("new2"));
        assertTrue(Files.isDirectory(m.mnt.resolve("new2/deeper")));
    }

    /** errno of a rename(2) done by a small python helper, or 0. */
    private static int errnoOf(String ignoredMvCommand) throws Exception {
        String[] parts = ignoredMvCommand.split(" ");
        OverlayMount.Result r = OverlayMount.sh(false,
                "python3 -c 'import os,sys\ntry:\n  os.rename(sys.argv[1], sys.argv[2]); print(0)\nexcept OSError as e:\n  print(e.errno)' "
                        + parts[parts.length - 2] + " " + parts[parts.length - 1]);
        return Integer.parseInt(r.output().trim());
    }

    @Test
    void hardLinksSymlinksAndSpecialFiles() throws Exception {
        m.mount();
        Files.createLink(m.mnt.resolve("hard"), m.mnt.resolve("file"));
        assertEquals(2, Stat.nlink(lstat(m.mnt.resolve("hard"))));
        assertEquals(2, Stat.nlink(lstat(m.mnt.resolve("file"))));
        assertEquals(Stat.ino(lstat(m.mnt.resolve("file"))), Stat.ino(lstat(m.mnt.resolve("hard"))));
        assertEquals("lower data\n", Files.readString(m.mnt.resolve("hard")));
        Files.createLink(m.mnt.resolve("third"), m.mnt.resolve("hard"));
        assertEquals(3, Stat.nlink(lstat(m.mnt.resolve("hard"))));
        m.unmount();
        m.mount();
        assertEquals(3, Stat.nlink(lstat(m.mnt.resolve("file"))));
        assertEquals(Stat.ino(lstat(m.mnt.resolve("file"))), Stat.ino(lstat(m.mnt.resolve("hard"))));
        Files.createSymbolicLink(m.mnt.resolve("sym"), Path.of("dir/a"));
        assertEquals("a\n", Files.readString(m.mnt.resolve("sym")));
        assertEquals(0, OverlayMount.sh(false, "mkfifo " + m.mnt.resolve("fifo") + " && mknod "
                + m.mnt.resolve("null") + " c 1 3 && echo hi > " + m.mnt.resolve("null")).status());
        assertEquals(Stat.S_IFIFO, Stat.type(lstat(m.upper.resolve("fifo"))));
        assertEquals(Stat.S_IFCHR, Stat.type(lstat(m.upper.resolve("null"))));
    }

    @Test
    void inodeNumbersAreTheRealOnesAndStable() throws Exception {
        m.mount();
        long lowerIno = Stat.ino(lstat(m.lower.resolve("file")));
        assertEquals(lowerIno, Stat.ino(lstat(m.mnt.resolve("file"))));
        Files.writeString(m.mnt.resolve("file"), "x");
        // as the kernel overlay on one filesystem: a copied-up file keeps its lower inode (trusted.overlay.origin)
        assertEquals(lowerIno, Stat.ino(lstat(m.mnt.resolve("file"))));
        Files.writeString(m.mnt.resolve("dir/new"), "x"); // dir is now merged: lower inode, nlink 1
        Pointer st = lstat(m.mnt.resolve("dir"));
        assertEquals(Stat.ino(lstat(m.lower.resolve("dir"))), Stat.ino(st));
        assertEquals(1, Stat.nlink(st));
        long before = Stat.ino(lstat(m.mnt.resolve("dir/new")));
        m.unmount();
        m.mount();
        assertEquals(before, Stat.ino(lstat(m.mnt.resolve("dir/new"))));
    }

    @Test
    void unlinkedOpenFileKeepsWorkingAndTruncateAppendWork() throws Exception {
        m.mount();
        Path f = m.mnt.resolve("file");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            Files.delete(f);
            assertFalse(Files.exists(f));
            raf.seek(0);
            raf.write("rewritten".getBytes(StandardCharsets.US_ASCII));
            raf.seek(0);
            byte[] b = new byte[9];
            raf.readFully(b);
            assertEquals("rewritten", new String(b, StandardCharsets.US_ASCII));
            assertEquals(11, raf.length());
        }
        assertEquals(List.of(), Files.list(m.upper).filter(p -> p.getFileName().toString().startsWith(".fuse_hidden"))
                .collect(Collectors.toList()));
        Files.writeString(m.mnt.resolve("dir/a"), "t\n"); // O_TRUNC of a lower file
        assertEquals("t\n", Files.readString(m.mnt.resolve("dir/a")));
        assertEquals(0, OverlayMount.sh(false, "echo one >> " + m.mnt.resolve("dir/sub/b")).status());
        assertEquals("b\none\n", Files.readString(m.mnt.resolve("dir/sub/b")));
    }

    @Test
    void permissionsAreEnforcedForOtherUsers() throws Exception {
        Files.setPosixFilePermissions(m.lower.resolve("file"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.createDirectories(m.lower.resolve("private"));
        Files.setPosixFilePermissions(m.lower.resolve("private"), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(m.lower, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        m.mount();
        assertEquals(0, OverlayMount.sh(true, "cat " + m.mnt.resolve("file")).status());
        assertNotEquals(0, OverlayMount.sh(true, "echo x >> " + m.mnt.resolve("file")).status());
        assertNotEquals(0, OverlayMount.sh(true, "ls " + m.mnt.resolve("private")).status());
        assertNotEquals(0, OverlayMount.sh(true, "touch " + m.mnt.resolve("newfile")).status());
        assertEquals("lower data\n", Files.readString(m.mnt.resolve("file")));
        // a user creating in a directory it may write gets its own ownership
        Files.createDirectories(m.mnt.resolve("shared"));
        Files.setPosixFilePermissions(m.mnt.resolve("shared"), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(0, OverlayMount.sh(true, "echo x > " + m.mnt.resolve("shared/mine")).status());
        Pointer st = lstat(m.upper.resolve("shared/mine"));
        assertEquals(65534, Stat.uid(st));
        assertEquals(65534, Stat.gid(st));
    }

    @Test
    void statfsReportsTheUpperFilesystem() throws Exception {
        m.mount();
        assertEquals(Files.getFileStore(m.upper).getTotalSpace(), Files.getFileStore(m.mnt).getTotalSpace());
    }

    @Test
    void chownRecursiveDoesNotTouchDirectoryMtimes() throws Exception {
        Files.setLastModifiedTime(m.lower.resolve("dir"), FileTime.fromMillis(1_500_000_000_000L));
        m.mount();
        assertEquals(0, OverlayMount.sh(false, "chown -R 1:1 " + m.mnt.resolve("dir")).status());
        assertEquals(FileTime.fromMillis(1_500_000_000_000L), Files.getLastModifiedTime(m.mnt.resolve("dir")));
        assertEquals(1, Stat.uid(lstat(m.mnt.resolve("dir/sub/b"))));
        assertArrayEquals("b\n".getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(m.mnt.resolve("dir/sub/b")));
    }

    @Test
    void aReadOnlyDescriptorSeesTheCopyUpLikeTheKernelOverlay() throws Exception {
        m.mount();
        try (RandomAccessFile reader = new RandomAccessFile(m.mnt.resolve("file").toFile(), "r")) {
            byte[] b = new byte[5];
            reader.readFully(b);
            assertEquals("lower", new String(b, StandardCharsets.US_ASCII));
            try (RandomAccessFile writer = new RandomAccessFile(m.mnt.resolve("file").toFile(), "rw")) {
                writer.seek(0);
                writer.write("UPPER DATA\n".getBytes(StandardCharsets.US_ASCII));
            }
            reader.seek(0);
            byte[] all = new byte[11];
            reader.readFully(all);
            assertEquals("UPPER DATA\n", new String(all, StandardCharsets.US_ASCII));
        }
    }

    /**
     * Paths on the mount longer than a layer path can be in one system call (layer directory +
     * overlay path over PATH_MAX) work as on the kernel overlay (pjdfstest's PATH_MAX cases).
     */
    @Test
    void pathsLongerThanPathMaxTogetherWithTheLayerDirectory() throws Exception {
        String deep = "import os\n"
                + "def down(top):\n"
                + "    os.chdir(top)\n"
                + "    for i in range(17):\n"
                + "        n = 'd%02d' % i + 'x' * 247\n"
                + "        os.makedirs(n, exist_ok=True)\n"
                + "        os.chdir(n)\n"
                + "    return len(os.getcwd())\n";
        try {
            longPaths(deep);
        } finally {
            // JUnit cannot delete what is deeper than PATH_MAX; rm -rf can
            m.close();
            OverlayMount.sh(false, "rm -rf " + m.lower + "/d00* " + m.upper + "/d00*");
        }
    }

    private void longPaths(String deep) throws Exception {
        OverlayMount.Result made = OverlayMount.sh(false, "python3 -c \"" + deep
                + "down('" + m.lower + "')\n"
                + "open('lowerfile', 'w').write('lower')\n"
                + "os.mkdir('lowerdir')\n\"");
        assertEquals(0, made.status(), made.output());
        m.mount();
        OverlayMount.Result r = OverlayMount.sh(false, "python3 -c \"" + deep
                + "print(down('" + m.mnt + "') > 4096)\n"
                + "open('lowerfile', 'a').write(' and upper')\n"
                + "print(open('lowerfile').read())\n"
                + "open('new', 'w').write('new')\n"
                + "os.symlink('new', 'sym'); os.link('new', 'hard'); os.rename('hard', 'moved')\n"
                + "os.mkdir('newdir'); os.rmdir('lowerdir'); os.chmod('new', 0o600)\n"
                + "print(sorted(os.listdir('.')), open('sym').read(), oct(os.stat('new').st_mode), os.stat('new').st_nlink)\n"
                + "os.unlink('moved')\n"
                + "print(sorted(os.listdir('.')))\n\"");
        assertEquals(0, r.status(), r.output());
        assertEquals("True\nlower and upper\n"
                + "['lowerfile', 'moved', 'new', 'newdir', 'sym'] new 0o100600 2\n"
                + "['lowerfile', 'new', 'newdir', 'sym']\n", r.output());
        // the changes are in the upper layer, in the kernel's format (lowerdir is whited out)
        OverlayMount.Result up = OverlayMount.sh(false, "python3 -c \"" + deep
                + "down('" + m.upper + "')\n"
                + "print(sorted(os.listdir('.')), oct(os.lstat('lowerdir').st_mode), open('lowerfile').read())\n\"");
        assertEquals("['lowerdir', 'lowerfile', 'new', 'newdir', 'sym'] 0o20000 lower and upper\n", up.output());
    }

    @Test
    void listingsHaveDotEntriesWithInodeNumbers() throws Exception {
        m.mount();
        OverlayMount.Result r = OverlayMount.sh(false, "ls -ai " + m.mnt.resolve("dir"));
        assertEquals(0, r.status());
        assertTrue(r.output().matches("(?s)\\s*[1-9][0-9]* \\.\\s+[1-9][0-9]* \\.\\..*"), r.output());
    }

    /**
     * A base on a filesystem without ACLs (ramfs): setting an ACL on an entry only the base holds
     * fails with EOPNOTSUPP and copies nothing up, as the kernel overlay's ovl_set_acl answers for
     * a real inode without set_acl; once copied up (the upper has ACLs) it works. Permission
     * checks read such a base as having no ACLs.
     */
    @Test
    void aclsOnABaseWithoutAclSupportAreRefusedWithoutACopyUp() throws Exception {
        OverlayMount r = new OverlayMount(tmp.resolve("ramfs-base"));
        assertEquals(0, OverlayMount.sh(false, "mount -t ramfs ramfs " + r.lower).status());
        try {
            Files.writeString(r.lower.resolve("f"), "base\n");
            Files.writeString(r.lower.resolve("g"), "base\n");
            for (Path d : List.of(tmp, tmp.resolve("ramfs-base"), r.lower)) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x")); // for nobody
            }
            try (OverlayMount mounted = r.mount()) {
                OverlayMount.Result set = OverlayMount.sh(false, "setfacl -m u:65534:r " + r.mnt.resolve("f"));
                assertNotEquals(0, set.status());
                assertTrue(set.output().contains("Operation not supported"), set.output());
                assertFalse(Files.exists(r.upper.resolve("f"), LinkOption.NOFOLLOW_LINKS), "copied up for nothing");
                assertEquals("base\n", OverlayMount.sh(true, "cat " + r.mnt.resolve("f")).output());
                assertEquals(0, OverlayMount.sh(false, "touch " + r.mnt.resolve("g") + " && setfacl -m u:65534:r "
                        + r.mnt.resolve("g") + " && getfacl -p " + r.mnt.resolve("g") + " | grep -q user:nobody:r--").status());
            }
        } finally {
            OverlayMount.sh(false, "umount " + r.lower);
        }
    }

    /** With {@code noacl}, as before the kernel was asked for ACLs (ParityAclTest has them on). */
    @Test
    void noaclRefusesPosixAclsSoToolsFallBackToChmod() throws Exception {
        m.mount(",noacl");
        byte[] acl = {2, 0, 0, 0, 1, 0, 7, 0, -1, -1, -1, -1, 4, 0, 5, 0, -1, -1, -1, -1, 32, 0, 5, 0, -1, -1, -1, -1};
        Path f = m.mnt.resolve("file");
        assertEquals(-1, Native.LIBC.lsetxattr(f.toString(), "system.posix_acl_access", acl, acl.length, 0));
        assertEquals(95, Native.errno());
        assertEquals(0, OverlayMount.sh(false, "mkdir " + m.mnt.resolve("d700") + " && chmod 700 " + m.mnt.resolve("d700")
                + " && cp -a " + m.mnt.resolve("d700") + " " + m.mnt.resolve("copy")).status());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(m.mnt.resolve("copy"))));
    }

    @Test
    void nestedUpperOnOverlayfsUsesXattrWhiteouts() throws Exception {
        // the upper directory lives on a kernel overlay, which refuses 0/0 devices (EPERM)
        Path om = kernelOverlay(tmp.resolve("outer"));
        try {
            OverlayMount nested = new OverlayMount(om);
            Files.writeString(nested.lower.resolve("gone"), "x");
            Files.createDirectories(nested.lower.resolve("dir/sub"));
            Files.writeString(nested.lower.resolve("dir/sub/f"), "x");
            try (OverlayMount n = nested.mount()) {
                Files.delete(n.mnt.resolve("gone"));
                assertFalse(Files.exists(n.mnt.resolve("gone")));
                assertEquals(0, OverlayMount.sh(false, "rm -r " + n.mnt.resolve("dir")).status());
                assertFalse(Files.exists(n.mnt.resolve("dir")));
                Files.createDirectory(n.mnt.resolve("dir"));
                assertEquals(Set.of(), list(n.mnt.resolve("dir")));
                Pointer st = lstat(n.upper.resolve("gone"));
                assertTrue(Stat.isReg(st) && Stat.size(st) == 0);
                assertTrue(UpperFormat.hasXattr(n.upper.resolve("gone").toString(), OverlayXattrs.WHITEOUT));
                n.unmount();
                n.mount(); // read back after a remount
                assertFalse(Files.exists(n.mnt.resolve("gone")));
                assertEquals(Set.of("dir"), list(n.mnt));
            }
        } finally {
            OverlayMount.sh(false, "umount " + om);
        }
    }

    /**
     * The nested case's upper, written with xattr whiteouts, then used as the middle layer of a
     * kernel overlay (lowerdir=upper:lower, as composefs-like stacks use one): the kernel (6.8+)
     * leaves an xattr whiteout out of a listing only in a directory marked
     * {@code trusted.overlay.opaque=x} (kernel-lower-xwhiteout-markers.sh; its lookups hide them
     * unmarked). Ours marked them {@code trusted.overlay.xwhiteouts}, which no kernel reads: the
     * kernel listed "gone" and "dir/f".
     */
    @Test
    void nestedUpperWithXattrWhiteoutsIsAKernelOverlaysLowerLayer() throws Exception {
        Path om = kernelOverlay(tmp.resolve("outer"));
        Path km = Files.createDirectories(tmp.resolve("kernel"));
        try {
            OverlayMount nested = new OverlayMount(om);
            Files.writeString(nested.lower.resolve("gone"), "x");
            Files.writeString(nested.lower.resolve("keep"), "x");
            Files.createDirectories(nested.lower.resolve("dir"));
            Files.writeString(nested.lower.resolve("dir/f"), "x");
            Files.writeString(nested.lower.resolve("dir/g"), "x");
            try (OverlayMount n = nested.mount()) {
                Files.delete(n.mnt.resolve("gone"));
                Files.delete(n.mnt.resolve("dir/f"));
                assertTrue(UpperFormat.hasXattr(n.upper.resolve("dir/f").toString(), OverlayXattrs.WHITEOUT));
            }
            OverlayMount.Result r = OverlayMount.sh(false, "mount -t overlay overlay -o lowerdir=" + nested.upper
                    + ":" + nested.lower + " " + km);
            assertEquals(0, r.status(), r.output());
            try {
                assertEquals(Set.of("dir", "keep"), list(km));
                assertEquals(Set.of("g"), list(km.resolve("dir")));
                assertFalse(Files.exists(km.resolve("gone"), LinkOption.NOFOLLOW_LINKS));
                assertFalse(Files.exists(km.resolve("dir/f"), LinkOption.NOFOLLOW_LINKS));
            } finally {
                OverlayMount.sh(false, "umount " + km);
            }
        } finally {
            OverlayMount.sh(false, "umount " + om);
        }
    }

    /** A kernel overlay of new layers under {@code outer}, mounted at {@code outer/m}: the nested case's upper filesystem. */
    private static Path kernelOverlay(Path outer) throws Exception {
        Path ol = Files.createDirectories(outer.resolve("l"));
        Path ou = Files.createDirectories(outer.resolve("u"));
        Path ow = Files.createDirectories(outer.resolve("w"));
        Path om = Files.createDirectories(outer.resolve("m"));
        assertEquals(0, OverlayMount.sh(false, "mount -t overlay overlay -o lowerdir=" + ol + ",upperdir=" + ou
                + ",workdir=" + ow + " " + om).status());
        return om;
    }

    @Test
    void namesThatAreNotUtf8RoundTrip() throws Exception {
        m.mount();
        OverlayMount.Result r = OverlayMount.sh(false, "python3 -c \"import os\n"
                + "open(b'" + m.lower + "/caf\\xe9', 'w').write('l')\n"
                + "d = b'" + m.mnt + "/'\n"
                + "print(sorted(n for n in os.listdir(d) if n.startswith(b'caf')))\n"
                + "open(d + b'caf\\xe9', 'a').write('+')\n"
                + "os.mkdir(d + b'd\\xff')\n"
                + "os.symlink(b'../caf\\xe9', d + b'd\\xff/l\\xfe')\n"
                + "print(open(d + b'd\\xff/l\\xfe').read(), os.readlink(d + b'd\\xff/l\\xfe'))\"");
        assertEquals(0, r.status(), r.output());
        assertEquals("[b'caf\\xe9']\nl+ b'../caf\\xe9'\n", r.output());
        OverlayMount.Result up = OverlayMount.sh(false, "python3 -c \"import os; print(os.readlink(b'"
                + m.upper + "/d\\xff/l\\xfe'))\"");
        assertEquals("b'../caf\\xe9'\n", up.output());
    }
}
