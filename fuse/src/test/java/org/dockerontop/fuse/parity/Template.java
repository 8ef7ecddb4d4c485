package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a layer's content. Each run builds its own copy with the same builder, so kernel and FUSE start
 * from identical trees (same content, modes, owners, xattrs, hard links and times; different inodes).
 * After building, every entry gets atime = mtime = {@link TreeSnapshot#T0_NS}.
 */
@FunctionalInterface
public interface Template {
    void build(Tree t) throws IOException;

    Template EMPTY = t -> {};

    /** Builder of a layer directory; paths are relative to the layer root. */
    final class Tree {
        private final Path root;

        Tree(Path root) {
            this.root = root;
        }

        public String abs(String rel) {
            return rel.isEmpty() ? root.toString() : root + "/" + rel;
        }

        public Tree dir(String rel, int mode) throws IOException {
            Sys.mkdir(abs(rel), mode);
            Sys.chmod(abs(rel), mode);
            return this;
        }

        public Tree file(String rel, String content, int mode) throws IOException {
            return file(rel, content.getBytes(StandardCharsets.UTF_8), mode);
        }

        public Tree file(String rel, byte[] content, int mode) throws IOException {
            Sys.pwrite(abs(rel), content, 0, mode);
            Sys.chmod(abs(rel), mode);
            return this;
        }

        public Tree owner(String rel, int uid, int gid) throws IOException {
            Sys.lchown(abs(rel), uid, gid);
            return this;
        }

        public Tree xattr(String rel, String name, String value) throws IOException {
            Sys.setxattr(abs(rel), name, value.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        /** {@code setfacl -m spec} (e.g. {@code u:65534:r}, {@code d:g::rwx}): a POSIX ACL entry. */
        public Tree acl(String rel, String spec) throws IOException {
            try {
                Cmd.Result r = Cmd.run(java.util.List.of("setfacl", "-m", spec, abs(rel)), root, 30);
                if (r.exit() != 0) throw new IOException("setfacl -m " + spec + " " + rel + ": " + r.stderr());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return this;
        }

        public Tree symlink(String rel, String target) throws IOException {
            Sys.symlink(target, abs(rel));
            return this;
        }

        public Tree hardlink(String existing, String rel) throws IOException {
            Sys.link(abs(existing), abs(rel));
            return this;
        }

        public Tree fifo(String rel, int mode) throws IOException {
            Sys.mknod(abs(rel), LibC.S_IFIFO | mode, 0);
            return this;
        }

        public Tree chardev(String rel, int mode, int major, int minor) throws IOException {
            Sys.mknod(abs(rel), LibC.S_IFCHR | mode, Sys.makedev(major, minor));
            return this;
        }

        /** A kernel-format whiteout: a 0/0 character device. */
        public Tree whiteout(String rel) throws IOException {
            return chardev(rel, 0, 0, 0);
        }

        /**
         * The other whiteout form: an empty regular file carrying {@code trusted.overlay.whiteout}, as
         * tools that cannot make a 0/0 device (or an overlay upper on overlayfs) write it.
         */
        public Tree xattrWhiteout(String rel) throws IOException {
            return file(rel, "", 0644).xattr(rel, "trusted.overlay.whiteout", "y");
        }

        public Tree opaque(String rel) throws IOException {
            return xattr(rel, "trusted.overlay.opaque", "y");
        }

        /** A file of {@code size} bytes that holds {@code data} at each of {@code offsets} and holes elsewhere. */
        public Tree sparse(String rel, long size, byte[] data, long... offsets) throws IOException {
            Sys.pwrite(abs(rel), new byte[0], 0, 0644);
            Sys.truncate(abs(rel), size);
            for (long off : offsets) Sys.pwrite(abs(rel), data, off, 0644);
            return this;
        }

        /** Sets every entry's atime and mtime to T0, children before their directory. */
        void stampTimes() throws IOException {
            List<String> all = new ArrayList<>();
            collect("", all);
            for (int i = all.size() - 1; i >= 0; i--) Sys.setTimes(abs(all.get(i)), TreeSnapshot.T0_NS);
        }

        private void collect(String rel, List<String> out) throws IOException {
            out.add(rel);
            if (!Sys.lstat(abs(rel)).isDir()) return;
            List<String> names = new ArrayList<>();
            for (Sys.Dirent e : Sys.readdir(abs(rel))) {
                if (!e.name().equals(".") && !e.name().equals("..")) names.add(e.name());
            }
            names.sort(null);
            for (String n : names) collect(rel.isEmpty() ? n : rel + "/" + n, out);
        }
    }

    static void apply(Template t, Path root) throws IOException {
        Tree tree = new Tree(root);
        t.build(tree);
        tree.stampTimes();
    }
}
