package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The operations a scenario performs on a mount, each logged with its result ("= 0", "= 5 bytes",
 * "= EXDEV"...) so the kernel's and our log can be compared line by line. Paths are relative to the
 * mountpoint; file descriptors are logged by label, never by number. Every method returns the raw
 * result (negative = failed) so scenarios can branch like a program would.
 */
public final class Ops {
    private final Path root;
    private final long sinceNs;
    private final List<String> log = new ArrayList<>();
    private final Map<Integer, String> fdLabels = new HashMap<>();
    private final LibC c = LibC.INSTANCE;

    Ops(Path root, long sinceNs) {
        this.root = root;
        this.sinceNs = sinceNs;
    }

    private Overlay overlay;
    private LayerDirs dirs;
    private Overlay.Mounted mounted;

    void attach(Overlay overlay, LayerDirs dirs, Overlay.Mounted mounted) {
        this.overlay = overlay;
        this.dirs = dirs;
        this.mounted = mounted;
    }

    /** The layer directories behind this mount (for scenarios that look at the upper directly). */
    public LayerDirs dirs() {
        return dirs;
    }

    /** Which overlay this run uses: "kernel" or "fuse". Scenarios must not branch on it for what they log. */
    public String overlayName() {
        return overlay.name();
    }

    /** The FUSE server's pid, or -1 on a kernel mount. */
    public long serverPid() {
        return mounted.serverPid();
    }

    /** Unmounts (closing any fd the scenario still holds) and mounts the same layers again. */
    public void remount() throws Exception {
        remount(null);
    }

    /** Something done to the layers while nothing is mounted. */
    @FunctionalInterface
    public interface WhileUnmounted {
        void run(LayerDirs dirs) throws Exception;
    }

    /**
     * Unmounts, runs {@code action} on the bare layers (e.g. changes the lower, which is allowed only while
     * no overlay uses it), then mounts again. The lower as the action left it becomes the new baseline for
     * the "lower never written" check.
     */
    public void remount(WhileUnmounted action) throws Exception {
        closeLeftovers();
        mounted.close();
        if (action != null) {
            action.run(dirs);
            lowerBaseline = TreeSnapshot.lower(dirs.lower().toString());
        }
        mounted = overlay.mount(dirs);
        log.add("remount = ok");
    }

    /** The lower directory as it must still be at the end: as built, or as a remount action changed it. */
    String lowerBaseline;

    void unmount() throws Exception {
        closeLeftovers();
        if (mounted != null) mounted.close();
    }

    /** Closes fds the scenario left open, so that the unmount is not refused as busy. */
    void closeLeftovers() {
        for (Integer fd : new ArrayList<>(fdLabels.keySet())) {
            c.close(fd);
            fdLabels.remove(fd);
        }
    }

    public List<String> log() {
        return log;
    }

    public Path root() {
        return root;
    }

    /** Absolute path of {@code rel} on this mount. */
    public String path(String rel) {
        return rel.isEmpty() || rel.equals(".") ? root.toString() : root + "/" + rel;
    }

    /** Records a value a scenario computed itself. */
    public void note(String what, Object value) {
        log.add(what + " = " + value);
    }

    private long rec(String what, long rc) {
        log.add(what + " = " + (rc < 0 ? Sys.name(LibC.errno()) : Long.toString(rc)));
        return rc;
    }

    private String fd(int fd) {
        return fdLabels.getOrDefault(fd, "fd?" + fd);
    }

    // ---- file descriptors ----

    public int open(String rel, int flags, int mode) {
        int fd = c.open(path(rel), flags, mode);
        int err = LibC.errno();
        String what = "open " + rel + " " + flagNames(flags) + (((flags & LibC.O_CREAT) != 0) ? String.format(" 0%o", mode) : "");
        if (fd < 0) {
            log.add(what + " = " + Sys.name(err));
        } else {
            String label = "fd" + (fdLabels.size() + 1);
            fdLabels.put(fd, label);
            log.add(what + " = " + label);
        }
        return fd;
    }

    public int open(String rel, int flags) {
        return open(rel, flags, 0);
    }

    public long close(int fd) {
        String label = fd(fd);
        long rc = c.close(fd);
        fdLabels.remove(fd);
        return rec("close " + label, rc);
    }

    public long write(int fd, String s) {
        return write(fd, s.getBytes(StandardCharsets.UTF_8));
    }

    public long write(int fd, byte[] b) {
        return rec("write " + fd(fd) + " " + b.length + "B", c.write(fd, b, b.length));
    }

    public long pwrite(int fd, byte[] b, long off) {
        return rec("pwrite " + fd(fd) + " " + b.length + "B @" + off, c.pwrite(fd, b, b.length, off));
    }

    /** Reads up to n bytes at the current offset and logs what was read. */
    public String read(int fd, int n) {
        byte[] b = new byte[n];
        long got = c.read(fd, b, n);
        return logData("read " + fd(fd) + " " + n, b, got);
    }

    public String pread(int fd, int n, long off) {
        byte[] b = new byte[n];
        long got = c.pread(fd, b, n, off);
        return logData("pread " + fd(fd) + " " + n + " @" + off, b, got);
    }

    private String logData(String what, byte[] b, long got) {
        if (got < 0) {
            log.add(what + " = " + Sys.name(LibC.errno()));
            return null;
        }
        byte[] data = java.util.Arrays.copyOf(b, (int) got);
        String shown = TreeSnapshot.printable(data);
        if (shown.length() > 80) shown = got + "B sha=" + sha(data);
        log.add(what + " = " + shown);
        return new String(data, StandardCharsets.ISO_8859_1);
    }

    public long lseek(int fd, long off, int whence) {
        return rec("lseek " + fd(fd) + " " + off + " whence=" + whence, c.lseek(fd, off, whence));
    }

    public long ftruncate(int fd, long len) {
        return rec("ftruncate " + fd(fd) + " " + len, c.ftruncate(fd, len));
    }

    public long fallocate(int fd, int mode, long off, long len) {
        return rec("fallocate " + fd(fd) + " mode=" + mode + " " + off + "+" + len, c.fallocate(fd, mode, off, len));
    }

    public long fsync(int fd) {
        return rec("fsync " + fd(fd), c.fsync(fd));
    }

    public long fdatasync(int fd) {
        return rec("fdatasync " + fd(fd), c.fdatasync(fd));
    }

    public long flock(int fd, int op) {
        return rec("flock " + fd(fd) + " " + op, c.flock(fd, op));
    }

    /** fstat, logged as type, mode, owner, size and nlink. */
    public Sys.Stat fstat(int fd) {
        try {
            Sys.Stat st = Sys.fstat(fd);
            log.add("fstat " + fd(fd) + " = " + brief(st));
            return st;
        } catch (Sys.ErrnoException e) {
            log.add("fstat " + fd(fd) + " = " + e.errno);
            return null;
        }
    }

    // ---- paths ----

    public Sys.Stat stat(String rel) {
        try {
            Sys.Stat st = Sys.lstat(path(rel));
            log.add("lstat " + rel + " = " + brief(st));
            return st;
        } catch (Sys.ErrnoException e) {
            log.add("lstat " + rel + " = " + e.errno);
            return null;
        }
    }

    private String brief(Sys.Stat st) {
        String t = st.mtimeNs() == TreeSnapshot.T0_NS ? "T0" : st.mtimeNs() >= sinceNs ? "now"
                : java.time.Instant.ofEpochSecond(st.mtimeNs() / 1_000_000_000L, st.mtimeNs() % 1_000_000_000L).toString();
        return TreeSnapshot.typeChar(st.type()) + String.format("%04o", st.perm()) + " " + st.uid() + ":" + st.gid()
                + " nlink=" + st.nlink() + (st.isDir() ? "" : " size=" + st.size()) + " mtime=" + t;
    }

    /**
     * statx(2) asking for the birth time of {@code rel} (not following a last symlink), or of open
     * file {@code fd} if it is not -1; logged as whose birth time it is: {@code upper} or
     * {@code lower} (the layer entry of that name has that one), {@code none} (not reported),
     * {@code other}. Raw times cannot match between two runs. Asks for the basic attributes too,
     * as stat(1)'s default format and Rust's metadata() do: the FUSE kernel module keeps a birth
     * time it was given until the attribute timeout, whatever drops the other attributes, so a
     * caller asking for the birth time alone can see one from before a copy-up for that long.
     */
    public String btime(String rel, int fd) {
        byte[] b = new byte[256];
        int mask = LibC.STATX_BASIC_STATS | LibC.STATX_BTIME;
        int rc = fd >= 0 ? c.statx(fd, "", LibC.AT_EMPTY_PATH, mask, b)
                : c.statx(LibC.AT_FDCWD, path(rel), LibC.AT_SYMLINK_NOFOLLOW, mask, b);
        String what = "statx btime " + (fd >= 0 ? fd(fd) + " (" + rel + ")" : rel);
        if (rc < 0) {
            log.add(what + " = " + Sys.name(LibC.errno()));
            return null;
        }
        String born = "none";
        if ((littleEndianInt(b, 0) & LibC.STATX_BTIME) != 0) {
            long t = btimeOf(b);
            born = t == layerBtime(dirs.upper(), rel) ? "upper" : t == layerBtime(dirs.lower(), rel) ? "lower" : "other";
        }
        log.add(what + " = " + born);
        return born;
    }

    /** The birth time (ns) of {@code rel} in a layer directory, -1 if it has none there. */
    private long layerBtime(Path layer, String rel) {
        byte[] b = new byte[256];
        String p = rel.isEmpty() || rel.equals(".") ? layer.toString() : layer + "/" + rel;
        if (c.statx(LibC.AT_FDCWD, p, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BTIME, b) < 0
                || (littleEndianInt(b, 0) & LibC.STATX_BTIME) == 0) {
            return -1;
        }
        return btimeOf(b);
    }

    private static long btimeOf(byte[] statx) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(statx).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        return bb.getLong(80) * 1_000_000_000L + (bb.getInt(88) & 0xffffffffL); // stx_btime
    }

    private static int littleEndianInt(byte[] b, int off) {
        return java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(off);
    }

    public long truncate(String rel, long len) {
        return rec("truncate " + rel + " " + len, c.truncate(path(rel), len));
    }

    public long unlink(String rel) {
        return rec("unlink " + rel, c.unlink(path(rel)));
    }

    public long rmdir(String rel) {
        return rec("rmdir " + rel, c.rmdir(path(rel)));
    }

    public long mkdir(String rel, int mode) {
        return rec(String.format("mkdir %s 0%o", rel, mode), c.mkdir(path(rel), mode));
    }

    /** renameat2(2) with {@code flags} (RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2). */
    public long rename(String from, String to, int flags) {
        return rec("renameat2 " + from + " " + to + " flags=" + flags,
                c.renameat2(-100, path(from), -100, path(to), flags)); // AT_FDCWD
    }

    public long rename(String from, String to) {
        return rec("rename " + from + " " + to, c.rename(path(from), path(to)));
    }

    public long link(String from, String to) {
        return rec("link " + from + " " + to, c.link(path(from), path(to)));
    }

    public long symlink(String target, String rel) {
        return rec("symlink " + target + " " + rel, c.symlink(target, path(rel)));
    }

    public String readlink(String rel) {
        try {
            String t = Sys.readlink(path(rel));
            log.add("readlink " + rel + " = " + t);
            return t;
        } catch (Sys.ErrnoException e) {
            log.add("readlink " + rel + " = " + e.errno);
            return null;
        }
    }

    public long mknod(String rel, int mode, long dev) {
        return rec(String.format("mknod %s 0%o %d", rel, mode, dev), c.mknod(path(rel), mode, dev));
    }

    public long mkfifo(String rel, int mode) {
        return rec(String.format("mkfifo %s 0%o", rel, mode), c.mkfifo(path(rel), mode));
    }

    public long chmod(String rel, int mode) {
        return rec(String.format("chmod %s 0%o", rel, mode), c.chmod(path(rel), mode));
    }

    public long chown(String rel, int uid, int gid) {
        return rec("chown " + rel + " " + uid + ":" + gid, c.chown(path(rel), uid, gid));
    }

    public long lchown(String rel, int uid, int gid) {
        return rec("lchown " + rel + " " + uid + ":" + gid, c.lchown(path(rel), uid, gid));
    }

    /** Sets atime and mtime to {@code epochSeconds}+{@code nanos} (not following symlinks if {@code nofollow}). */
    public long utimens(String rel, long epochSeconds, long nanos, boolean nofollow) {
        long[] ts = {epochSeconds, nanos, epochSeconds, nanos};
        return rec("utimensat " + rel + " " + epochSeconds + "." + nanos + (nofollow ? " nofollow" : ""),
                c.utimensat(LibC.AT_FDCWD, path(rel), ts, nofollow ? LibC.AT_SYMLINK_NOFOLLOW : 0));
    }

    public long setxattr(String rel, String name, String value, int flags) {
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        return rec("setxattr " + rel + " " + name + "=" + value + " flags=" + flags, c.lsetxattr(path(rel), name, v, v.length, flags));
    }

    public String getxattr(String rel, String name) {
        byte[] v = new byte[4096];
        long n = c.lgetxattr(path(rel), name, v, v.length);
        if (n < 0) {
            log.add("getxattr " + rel + " " + name + " = " + Sys.name(LibC.errno()));
            return null;
        }
        String s = new String(v, 0, (int) n, StandardCharsets.UTF_8);
        log.add("getxattr " + rel + " " + name + " = \"" + s + "\"");
        return s;
    }

    /** listxattr, logged sorted (order is not part of the contract). */
    public List<String> listxattr(String rel) {
        byte[] v = new byte[65536];
        long n = c.llistxattr(path(rel), v, v.length);
        if (n < 0) {
            log.add("listxattr " + rel + " = " + Sys.name(LibC.errno()));
            return null;
        }
        List<String> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (v[i] == 0) {
                names.add(new String(v, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        names.sort(null);
        log.add("listxattr " + rel + " = " + names);
        // the size query (size 0) may overestimate (the kernel overlay counts its hidden trusted.overlay.*
        // names) but must never be too small for the list
        long sizeOnly = c.llistxattr(path(rel), null, 0);
        if (sizeOnly < n) log.add("listxattr " + rel + " size query = " + sizeOnly + " but list is " + n + " bytes");
        return names;
    }

    public long removexattr(String rel, String name) {
        return rec("removexattr " + rel + " " + name, c.lremovexattr(path(rel), name));
    }

    public long access(String rel, int mode) {
        return rec("access " + rel + " " + mode, c.access(path(rel), mode));
    }

    /** Directory listing, sorted, without . and .. */
    public List<String> ls(String rel) {
        try {
            List<String> names = new ArrayList<>();
            for (Sys.Dirent e : Sys.readdir(path(rel))) {
                if (!e.name().equals(".") && !e.name().equals("..")) names.add(e.name());
            }
            names.sort(null);
            log.add("ls " + rel + " = " + names);
            return names;
        } catch (Sys.ErrnoException e) {
            log.add("ls " + rel + " = " + e.errno);
            return null;
        }
    }

    /** Whole-file read, logged as text (or digest). */
    public String readFile(String rel) {
        int fd = c.open(path(rel), LibC.O_RDONLY, 0);
        if (fd < 0) {
            log.add("readfile " + rel + " = " + Sys.name(LibC.errno()));
            return null;
        }
        try {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            byte[] b = new byte[65536];
            long n;
            while ((n = c.read(fd, b, b.length)) > 0) all.write(b, 0, (int) n);
            if (n < 0) {
                log.add("readfile " + rel + " = " + Sys.name(LibC.errno()));
                return null;
            }
            return logData("readfile " + rel, all.toByteArray(), all.size());
        } finally {
            c.close(fd);
        }
    }

    /** open(O_WRONLY|O_CREAT|O_TRUNC, 0644) + write + close, as a shell redirection does. */
    public long writeFile(String rel, String content) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        int fd = c.open(path(rel), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, 0644);
        if (fd < 0) return rec("writefile " + rel, fd);
        long n = c.write(fd, b, b.length);
        int err = LibC.errno();
        c.close(fd);
        log.add("writefile " + rel + " = " + (n < 0 ? Sys.name(err) : Long.toString(n)));
        return n;
    }

    /** Runs {@code sh -c script} in the mountpoint as root; logs exit code and output with the mount path replaced. */
    public int sh(String script) throws IOException, InterruptedException {
        return runSh(List.of("sh", "-c", script), "sh " + script);
    }

    /** Runs {@code sh -c script} as uid/gid with no supplementary groups (setpriv). */
    public int shAs(int uid, int gid, String script) throws IOException, InterruptedException {
        return runSh(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "sh", "-c", script),
                "sh(" + uid + ") " + script);
    }

    private int runSh(List<String> argv, String what) throws IOException, InterruptedException {
        Cmd.Result r = Cmd.run(argv, root, 300);
        String m = root.toString();
        log.add(what + " = exit " + r.exit()
                + (r.stdout().isEmpty() ? "" : " out[" + r.stdout().strip().replace(m, "$MNT") + "]")
                + (r.stderr().isEmpty() ? "" : " err[" + r.stderr().strip().replace(m, "$MNT") + "]"));
        return r.exit();
    }

    static String flagNames(int f) {
        StringBuilder b = new StringBuilder(switch (f & 3) { case 0 -> "RDONLY"; case 1 -> "WRONLY"; default -> "RDWR"; });
        if ((f & LibC.O_CREAT) != 0) b.append("|CREAT");
        if ((f & LibC.O_EXCL) != 0) b.append("|EXCL");
        if ((f & LibC.O_TRUNC) != 0) b.append("|TRUNC");
        if ((f & LibC.O_APPEND) != 0) b.append("|APPEND");
        if ((f & LibC.O_NONBLOCK) != 0) b.append("|NONBLOCK");
        if ((f & LibC.O_DIRECTORY) != 0) b.append("|DIRECTORY");
        if ((f & LibC.O_NOFOLLOW) != 0) b.append("|NOFOLLOW");
        return b.toString();
    }

    static String sha(byte[] data) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(data);
            StringBuilder h = new StringBuilder();
            for (int i = 0; i < 8; i++) h.append(String.format("%02x", d[i]));
            return h.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
