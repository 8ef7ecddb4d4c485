package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a directory tree as sorted text lines, one per entry, so two trees compare with one
 * {@code assertEquals} and a failure shows exactly which entries differ.
 *
 * <p>What is rendered and why:
 * <ul>
 * <li>type, permission bits, owner, nlink, size and a content digest of regular files, symlink targets,
 *     device numbers; xattrs (see {@link Kind} for which).</li>
 * <li>mtime as a class, not a value: {@code T0} (the template's fixed time, i.e. preserved), {@code now}
 *     (changed during the run; the two runs happen at different instants so the exact value cannot
 *     match) or the exact instant for anything else (e.g. a time a scenario set with utimensat).
 *     atime is not rendered (relatime makes it depend on read history); ctime cannot be preserved by
 *     anyone and is only rendered for the lower layer, where any change means the base was written.</li>
 * <li>For a mounted view, st_ino as a label naming the layer inode it equals ({@code L:path} for a lower
 *     inode, {@code U:path} for an upper one), since the two runs use different copies of the layers
 *     and raw numbers can never match; inodes found in neither layer get {@code ?1, ?2...} in walk order,
 *     which still shows whether two names share an inode. Also whether st_dev is the mount's, and
 *     whether readdir's d_type and (for non-directories) d_ino agree with lstat.</li>
 * <li>Directory nlink is rendered: the kernel reports 1 for a merged directory (which tells find(1) not
 *     to use the leaf optimisation); a count that is too high makes find skip subdirectories.</li>
 * </ul>
 */
public final class TreeSnapshot {
    /** 2001-01-01T00:00:00Z: every template entry gets this atime/mtime. */
    public static final long T0_NS = 978_307_200L * 1_000_000_000L;

    /** Files larger than this are not read for a digest (a 5 GiB sparse file would be read in full through FUSE). */
    static final long DIGEST_LIMIT = 64L << 20;

    public enum Kind {
        /** A mounted overlay: every xattr shown (a visible trusted.overlay.* is a leak), inode labels. */
        MERGED,
        /** An upper directory: trusted.overlay.opaque/whiteout shown, other kernel bookkeeping
         *  (origin, impure, uuid, nlink, upper...) hidden, as it is private to one implementation. */
        UPPER,
        /** A lower directory checked for being untouched: also ctime and exact mtimes. */
        LOWER
    }

    private final Kind kind;
    private final long sinceNs;
    private final boolean blocks;
    private final Map<Long, String> inoLabels = new HashMap<>();
    private final Map<Long, String> unknownInos = new HashMap<>();
    private long rootDev;

    private TreeSnapshot(Kind kind, long sinceNs, boolean blocks) {
        this.kind = kind;
        this.sinceNs = sinceNs;
        this.blocks = blocks;
    }

    /** The merged view at {@code dirs.mnt}, with inode labels from {@code dirs.lower} and {@code dirs.upper}. */
    public static String merged(LayerDirs dirs, long sinceNs, boolean blocks) throws IOException {
        TreeSnapshot s = new TreeSnapshot(Kind.MERGED, sinceNs, blocks);
        s.label(dirs.upper().toString(), "U:");
        s.label(dirs.lower().toString(), "L:");
        s.rootDev = Sys.lstat(dirs.mnt().toString()).dev();
        return s.render(dirs.mnt().toString());
    }

    public static String upper(String dir, long sinceNs, boolean blocks) throws IOException {
        return new TreeSnapshot(Kind.UPPER, sinceNs, blocks).render(dir);
    }

    public static String lower(String dir) throws IOException {
        return new TreeSnapshot(Kind.LOWER, Long.MAX_VALUE, true).render(dir);
    }

    private void label(String root, String prefix) throws IOException {
        walk(root, "", (rel, st) -> inoLabels.put(st.ino(), prefix + (rel.isEmpty() ? "/" : rel)));
    }

    private interface Visitor {
        void visit(String rel, Sys.Stat st) throws IOException;
    }

    private static void walk(String root, String rel, Visitor v) throws IOException {
        String abs = rel.isEmpty() ? root : root + "/" + rel;
        Sys.Stat st = Sys.lstat(abs);
        v.visit(rel, st);
        if (st.isDir()) {
            List<String> names = new ArrayList<>();
            for (Sys.Dirent e : Sys.readdir(abs)) {
                if (!e.name().equals(".") && !e.name().equals("..")) names.add(e.name());
            }
            names.sort(null);
            for (String n : names) walk(root, rel.isEmpty() ? n : rel + "/" + n, v);
        }
    }

    private String render(String root) throws IOException {
        StringBuilder out = new StringBuilder();
        renderDir(root, "", out);
        return out.toString();
    }

    private void renderDir(String root, String rel, StringBuilder out) throws IOException {
        String abs = rel.isEmpty() ? root : root + "/" + rel;
        Sys.Stat st = Sys.lstat(abs);
        out.append(line(rel.isEmpty() ? "." : rel, abs, st)).append('\n');
        if (!st.isDir()) return;
        List<Sys.Dirent> entries = Sys.readdir(abs);
        Set<String> seen = new HashSet<>();
        List<Sys.Dirent> children = new ArrayList<>();
        for (Sys.Dirent e : entries) {
            if (!seen.add(e.name())) out.append(rel.isEmpty() ? "." : rel).append(": readdir returned '").append(e.name()).append("' twice\n");
            if (!e.name().equals(".") && !e.name().equals("..")) children.add(e);
        }
        // "." and ".." are checked once, by ParityDirectoryTest.readdirReturnsDotAndDotDot, not in every view
        children.sort((a, b) -> a.name().compareTo(b.name()));
        for (Sys.Dirent e : children) {
            String childRel = rel.isEmpty() ? e.name() : rel + "/" + e.name();
            String childAbs = root + "/" + childRel;
            Sys.Stat cst;
            try {
                cst = Sys.lstat(childAbs);
            } catch (Sys.ErrnoException ex) {
                out.append(childRel).append(" listed by readdir but lstat fails: ").append(ex.errno).append('\n');
                continue;
            }
            if (kind == Kind.MERGED) {
                int dtype = e.type();
                int expected = (cst.type() >>> 12);
                if (dtype != 0 && dtype != expected) out.append(childRel).append(" d_type ").append(dtype)
                        .append(" but lstat type ").append(expected).append('\n');
                // directories are left out: the kernel itself returns the upper inode as d_ino for a
                // copied-up directory whose st_ino is the lower one (seen after a remount)
                if (!cst.isDir() && e.ino() != cst.ino()) out.append(childRel).append(" d_ino differs from st_ino\n");
            }
            if (cst.isDir()) renderDir(root, childRel, out);
            else out.append(line(childRel, childAbs, cst)).append('\n');
        }
    }

    private String line(String rel, String abs, Sys.Stat st) throws IOException {
        StringBuilder b = new StringBuilder(rel).append(' ');
        b.append(typeChar(st.type())).append(String.format("%04o", st.perm()));
        b.append(' ').append(st.uid()).append(':').append(st.gid());
        boolean whiteout = st.type() == LibC.S_IFCHR && st.rdev() == 0;
        // the kernel makes whiteouts as hard links of one shared whiteout in its workdir: their nlink is
        // an implementation detail, not part of the format
        if (!(whiteout && kind == Kind.UPPER)) b.append(" nlink=").append(st.nlink());
        if (st.isReg()) {
            b.append(" size=").append(st.size());
            b.append(" data=").append(st.size() > DIGEST_LIMIT ? "(not read)" : digest(abs, st.size()));
        } else if (st.isLink()) {
            b.append(" -> ").append(Sys.readlink(abs));
        } else if (st.type() == LibC.S_IFCHR || st.type() == LibC.S_IFBLK) {
            b.append(" rdev=").append(st.rdevMajor()).append(',').append(st.rdevMinor());
        }
        if (blocks && st.isReg() && st.size() >= (1 << 20)) b.append(st.blocks() * 512 < st.size() / 2 ? " sparse" : " allocated");
        if (!st.isLink() || kind == Kind.LOWER) b.append(" mtime=").append(timeClass(st.mtimeNs()));
        if (kind == Kind.LOWER) b.append(" ctime=").append(st.ctimeNs());
        if (kind == Kind.MERGED) {
            b.append(" ino=").append(inoLabel(st.ino()));
            if (st.dev() != rootDev) b.append(" dev=NOT-THE-MOUNT'S");
        }
        String x = xattrs(abs);
        if (!x.isEmpty()) b.append(" xattr{").append(x).append('}');
        return b.toString();
    }

    private String inoLabel(long ino) {
        String l = inoLabels.get(ino);
        if (l != null) return l;
        return unknownInos.computeIfAbsent(ino, i -> "?" + (unknownInos.size() + 1));
    }

    private String timeClass(long ns) {
        if (ns == T0_NS) return "T0";
        if (ns >= sinceNs) return "now";
        return Instant.ofEpochSecond(ns / 1_000_000_000L, ns % 1_000_000_000L).toString();
    }

    private String xattrs(String abs) throws IOException {
        Map<String, byte[]> all;
        try {
            all = Sys.xattrs(abs);
        } catch (Sys.ErrnoException e) {
            return "listxattr:" + e.errno;
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            String n = e.getKey();
            if (kind == Kind.UPPER && n.startsWith("trusted.overlay.")
                    && !n.equals("trusted.overlay.opaque") && !n.equals("trusted.overlay.whiteout")) continue;
            if (b.length() > 0) b.append(' ');
            b.append(n).append('=').append(printable(e.getValue()));
        }
        return b.toString();
    }

    static String printable(byte[] v) {
        boolean text = true;
        for (byte c : v) if (c < 0x20 || c > 0x7e) text = false;
        if (text) return "\"" + new String(v, StandardCharsets.US_ASCII) + "\"";
        StringBuilder h = new StringBuilder("0x");
        for (byte c : v) h.append(String.format("%02x", c));
        return h.toString();
    }

    static char typeChar(int type) {
        return switch (type) {
            case LibC.S_IFREG -> '-';
            case LibC.S_IFDIR -> 'd';
            case LibC.S_IFLNK -> 'l';
            case LibC.S_IFCHR -> 'c';
            case LibC.S_IFBLK -> 'b';
            case LibC.S_IFIFO -> 'p';
            case LibC.S_IFSOCK -> 's';
            default -> '?';
        };
    }

    /** SHA-256 of a file's content, first 16 hex digits, or the errno if it cannot be read. */
    static String digest(String abs, long size) throws IOException {
        LibC c = LibC.INSTANCE;
        int fd = c.open(abs, LibC.O_RDONLY | LibC.O_NOFOLLOW, 0);
        if (fd < 0) return "open:" + Sys.name(LibC.errno());
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            // sized to the file: jnr-ffi copies the whole array on every call
            byte[] buf = new byte[(int) Math.min(size + 1, 1 << 20)];
            long off = 0;
            while (true) {
                long n = c.pread(fd, buf, buf.length, off);
                if (n < 0) return "read:" + Sys.name(LibC.errno());
                if (n == 0) break;
                md.update(buf, 0, (int) n);
                off += n;
            }
            StringBuilder h = new StringBuilder();
            byte[] d = md.digest();
            for (int i = 0; i < 8; i++) h.append(String.format("%02x", d[i]));
            return h.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            c.close(fd);
        }
    }
}
