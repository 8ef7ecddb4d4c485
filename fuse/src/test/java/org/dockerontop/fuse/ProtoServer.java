package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UNIQUE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;

/**
 * RESEARCH PROTOTYPE (findings section 24), not part of the product and not wired into it: a FUSE
 * server that reads /dev/fuse itself and decodes every request in Java, with its own node table
 * ({@link ProtoNodes}), serving a read-only passthrough of ONE directory. It exists to measure
 * what the JVM<->C crossings of libfuse 2.9's high-level API cost per request, against the
 * product's server and fuse-overlayfs.
 *
 * <p>Opcodes served: INIT, LOOKUP, FORGET, BATCH_FORGET, GETATTR, READLINK, OPEN, READ, RELEASE,
 * OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, GETXATTR, STATFS, DESTROY; INTERRUPT is ignored;
 * everything else (FLUSH among them, which the kernel then stops sending) is answered ENOSYS.
 * Replies carry the product's choices: 60 s entry, attribute and negative timeouts, KEEP_CACHE
 * on files, KEEP_CACHE|CACHE_DIR on directories, 1 MiB requests, READDIRPLUS(_AUTO), minor 23.
 *
 * <p>What it does not do: no second layer, no whiteouts, no copy-up, no writes, no hard-link or
 * unlinked-file bookkeeping, no notifications, no INTERRUPT handling. {@code overlay} (an empty
 * directory as the "upper" layer) adds the system calls the product's OverlayFs makes on the
 * workloads measured (strace of the product on the same requests): a LOOKUP in a directory that
 * exists in the upper layer first {@code fstatat}s the upper name; an OPEN {@code fstatat}s the
 * file before opening it and {@code fadvise}s it; an OPENDIR {@code fstatat}s the directory.
 *
 * <p>Usage (as root): {@code ProtoServer LAYERDIR MOUNTPOINT [threads=N] [upper=EMPTYDIR]}; serves
 * until unmounted, then prints the request counts by opcode on stderr.
 */
public final class ProtoServer {
    /** Calls the product's LibC does not declare. */
    public interface Sys {
        int mount(String source, String target, String type, long flags, String data);

        long write(int fd, Pointer buf, long count);

        int posix_fadvise(int fd, long offset, long len, int advice);

        long readlinkat(int dirfd, String path, Pointer buf, long size);
    }

    private static final LibC C = Native.LIBC;
    private static final Sys SYS = LibraryLoader.create(Sys.class).failImmediately().load("c");

    // opcodes (include/uapi/linux/fuse.h)
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int READLINK = 5;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int GETXATTR = 22;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;
    static final int READDIRPLUS = 44;

    static final int ESTALE = 116;
    static final int ENTRY_OUT_SIZE = 128;
    static final int ATTR_OUT_SIZE = 104;
    static final int OPEN_OUT_SIZE = 16;
    static final int INIT_OUT_SIZE = 64;
    static final int KSTATFS_SIZE = 80;
    static final int DIRENT_HEADER = 24;

    /** 60 s, the product's entry_timeout, attr_timeout and negative_timeout. */
    static final long TIMEOUT = 60;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;
    /** INIT flags we take when offered: ASYNC_READ, ATOMIC_O_TRUNC, BIG_WRITES, DO_READDIRPLUS, READDIRPLUS_AUTO, MAX_PAGES. */
    static final int INIT_WANT = 1 | 1 << 3 | 1 << 5 | 1 << 13 | 1 << 14 | 1 << 22;
    static final int MAX_PAGES = 256;
    static final int BUFFER = MAX_PAGES * 4096 + 8192;

    private final int dev;
    private final int layer;
    /** The empty "upper" directory of the overlay emulation, or -1. */
    private final int upper;
    private final ProtoNodes nodes = new ProtoNodes();
    private final ConcurrentHashMap<Long, DirHandle> dirs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, int[]> files = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong(1);
    final AtomicLongArray counts = new AtomicLongArray(64);

    /** An open directory: its listing, read at the first READDIR as libfuse's high-level API does. */
    static final class DirHandle {
        final int fd;
        final ProtoNodes.Node node;
        List<String> names;
        long[] inos;
        byte[] types;

        DirHandle(int fd, ProtoNodes.Node node) {
            this.fd = fd;
            this.node = node;
        }
    }

    ProtoServer(int dev, int layer, int upper) {
        this.dev = dev;
        this.layer = layer;
        this.upper = upper;
    }

    public static void main(String[] args) throws Exception {
        String layerDir = args[0];
        String mnt = args[1];
        int threads = 2;
        String upperDir = null;
        for (int i = 2; i < args.length; i++) {
            if (args[i].startsWith("threads=")) {
                threads = Integer.parseInt(args[i].substring(8));
            } else if (args[i].startsWith("upper=")) {
                upperDir = args[i].substring(6);
            }
        }
        int layer = Native.check(C.open(layerDir, Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0), "open", layerDir);
        int upper = upperDir == null ? -1
                : Native.check(C.open(upperDir, Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0), "open", upperDir);
        int dev = Native.check(C.open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC, 0), "open", "/dev/fuse");
        String opts = "fd=" + dev + ",rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions,max_read=1048576";
        if (SYS.mount("proto", mnt, "fuse.proto", 0, opts) != 0) {
            System.err.println("mount failed: " + Errno.name(Native.errno()));
            System.exit(1);
        }
        ProtoServer s = new ProtoServer(dev, layer, upper);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(s::serve, "proto-worker-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        System.out.println("serving " + ProcessHandle.current().pid());
        System.out.flush();
        for (Thread t : workers) {
            t.join();
        }
        StringBuilder sb = new StringBuilder("requests:");
        for (int i = 0; i < s.counts.length(); i++) {
            if (s.counts.get(i) != 0) {
                sb.append(' ').append(i).append('=').append(s.counts.get(i));
            }
        }
        System.err.println(sb);
    }

    /** One worker: one request buffer and one reply buffer for its life. */
    private void serve() {
        Pointer in = Native.allocate(BUFFER);
        Pointer out = Native.allocate(BUFFER);
        Pointer st = Native.allocate(256);
        Pointer dirents = Native.allocate(32768);
        Worker w = new Worker(in, out, st, dirents);
        while (w.serveOne()) {
            // one request per call, so that the JIT compiles the body (see FuseLoop.Worker)
        }
    }

    private final class Worker {
        final Pointer in;
        final Pointer out;
        final Pointer st;
        final Pointer dirents;

        Worker(Pointer in, Pointer out, Pointer st, Pointer dirents) {
            this.in = in;
            this.out = out;
            this.st = st;
            this.dirents = dirents;
        }

        boolean serveOne() {
            long n = C.read(dev, in, BUFFER);
            if (n < 0) {
                int e = Native.errno();
                // EINTR, or ENOENT: the request was interrupted before we read it
                return e == Errno.EINTR || e == Errno.ENOENT || e == Errno.EAGAIN;
            }
            int opcode = in.getInt(IN_HEADER_OPCODE);
            long unique = in.getLong(IN_HEADER_UNIQUE);
            counts.incrementAndGet(opcode & 63);
            int len;
            try {
                len = answer(opcode, in.getLong(IN_HEADER_NODEID), (int) n);
            } catch (RuntimeException e) {
                len = -Errno.EIO;
            }
            if (len == Integer.MIN_VALUE) {
                return opcode != DESTROY; // no reply (FORGET, INTERRUPT)
            }
            int error = 0;
            if (len < 0) {
                error = len;
                len = 0;
            }
            out.putInt(0, OUT_HEADER_SIZE + len);
            out.putInt(4, error);
            out.putLong(8, unique);
            SYS.write(dev, out, OUT_HEADER_SIZE + len); // fails only if interrupted or unmounted
            return opcode != DESTROY;
        }

        /** Fills the reply body at out+16; its length, -errno, or MIN_VALUE for no reply. */
        int answer(int opcode, long nodeid, int size) {
            switch (opcode) {
                case INIT:
                    return init();
                case LOOKUP:
                    return lookup(nodeid, name(IN_HEADER_SIZE, size));
                case FORGET:
                    nodes.forget(nodeid, in.getLong(IN_HEADER_SIZE));
                    return Integer.MIN_VALUE;
                case BATCH_FORGET: {
                    long count = in.getInt(IN_HEADER_SIZE) & 0xffffffffL;
                    for (int i = 0; i < count; i++) {
                        nodes.forget(in.getLong(IN_HEADER_SIZE + 8 + 16 * i), in.getLong(IN_HEADER_SIZE + 16 + 16 * i));
                    }
                    return Integer.MIN_VALUE;
                }
                case GETATTR:
                    return getattr(nodeid);
                case OPEN:
                    return open(nodeid, in.getInt(IN_HEADER_SIZE));
                case READ:
                    return read();
                case RELEASE: {
                    int[] fd = files.remove(in.getLong(IN_HEADER_SIZE));
                    if (fd != null) {
                        C.close(fd[0]);
                    }
                    return 0;
                }
                case OPENDIR:
                    return opendir(nodeid);
                case READDIR:
                    return readdir(false);
                case READDIRPLUS:
                    return readdir(true);
                case RELEASEDIR: {
                    DirHandle d = dirs.remove(in.getLong(IN_HEADER_SIZE));
                    if (d != null) {
                        C.close(d.fd);
                    }
                    return 0;
                }
                case GETXATTR:
                    return getxattr(nodeid, size);
                case READLINK: {
                    ProtoNodes.Node n = nodes.get(nodeid);
                    if (n == null) {
                        return -ESTALE;
                    }
                    long got = SYS.readlinkat(layer, ProtoNodes.path(n), out.slice(OUT_HEADER_SIZE), 4096);
                    return got < 0 ? -Native.errno() : (int) got;
                }
                case STATFS:
                    return statfs();
                case INTERRUPT:
                    return Integer.MIN_VALUE;
                case DESTROY:
                    return 0;
                default:
                    return -Errno.ENOSYS; // FLUSH among them: the kernel stops sending it
            }
        }

        /** The NUL-terminated name at {@code off} as a byte string. */
        String name(int off, int size) {
            int end = off;
            while (end < size && in.getByte(end) != 0) {
                end++;
            }
            byte[] b = new byte[end - off];
            in.get(off, b, 0, b.length);
            return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        int init() {
            int minor = in.getInt(IN_HEADER_SIZE + 4);
            int readahead = in.getInt(IN_HEADER_SIZE + 8);
            int flags = in.getInt(IN_HEADER_SIZE + 12);
            Pointer o = out;
            int b = OUT_HEADER_SIZE;
            o.setMemory(b, INIT_OUT_SIZE, (byte) 0);
            o.putInt(b, 7);
            o.putInt(b + 4, Math.min(minor, KernelReplyPatch.RENAME2_MINOR)); // the product's minor
            o.putInt(b + 8, readahead);
            o.putInt(b + 12, flags & INIT_WANT);
            o.putShort(b + 16, (short) 12);
            o.putInt(b + 20, MAX_PAGES * 4096);
            o.putInt(b + 24, 1);
            o.putShort(b + 28, (short) MAX_PAGES);
            return INIT_OUT_SIZE;
        }

        /** Attributes from the struct stat in {@code st} into a fuse_attr at {@code off}, as the server encodes them. */
        void attr(Pointer o, int off) {
            AttrEncoding.attr(st, o, off);
        }

        /** A fuse_entry_out at {@code off} for {@code nodeid} with the attributes in {@code st}. */
        void entry(Pointer o, int off, long nodeid) {
            o.putLong(off, nodeid);
            o.putLong(off + 8, 0);
            o.putLong(off + 16, TIMEOUT);
            o.putLong(off + 24, TIMEOUT);
            o.putInt(off + 32, 0);
            o.putInt(off + 36, 0);
            attr(o, off + 40);
        }

        int lookup(long parentId, String name) {
            ProtoNodes.Node parent = nodes.get(parentId);
            if (parent == null) {
                return -ESTALE;
            }
            String path = ProtoNodes.child(parent, name);
            boolean inUpper = false;
            if (upper >= 0 && parent.inUpper) {
                inUpper = C.fstatat(upper, path, st, Native.AT_SYMLINK_NOFOLLOW) == 0;
            }
            if (C.fstatat(layer, path, st, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                int e = Native.errno();
                if (e != Errno.ENOENT) {
                    return -e;
                }
                // negative entry, cached for negative_timeout (as libfuse 2.9 answers ENOENT)
                out.setMemory(OUT_HEADER_SIZE, ENTRY_OUT_SIZE, (byte) 0);
                out.putLong(OUT_HEADER_SIZE + 16, TIMEOUT);
                return ENTRY_OUT_SIZE;
            }
            ProtoNodes.Node n = nodes.lookedUp(parent, name);
            n.inUpper = inUpper;
            entry(out, OUT_HEADER_SIZE, n.id);
            return ENTRY_OUT_SIZE;
        }

        int getattr(long nodeid) {
            ProtoNodes.Node n = nodes.get(nodeid);
            if (n == null) {
                return -ESTALE;
            }
            if (C.fstatat(layer, ProtoNodes.path(n), st, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                return -Native.errno();
            }
            int b = OUT_HEADER_SIZE;
            out.putLong(b, TIMEOUT);
            out.putInt(b + 8, 0);
            out.putInt(b + 12, 0);
            attr(out, b + 16);
            return ATTR_OUT_SIZE;
        }

        int open(long nodeid, int flags) {
            ProtoNodes.Node n = nodes.get(nodeid);
            if (n == null) {
                return -ESTALE;
            }
            String path = ProtoNodes.path(n);
            if (upper >= 0 && C.fstatat(layer, path, st, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                return -Native.errno(); // the product resolves the layer again
            }
            int fd = C.openat(layer, path, (flags & ~(Native.O_CREAT | Native.O_EXCL | Native.O_NOCTTY))
                    | Native.O_CLOEXEC | Native.O_NOATIME, 0);
            if (fd < 0) {
                return -Native.errno();
            }
            if (upper >= 0) {
                SYS.posix_fadvise(fd, 0, 0, 2); // POSIX_FADV_SEQUENTIAL, as the product
            }
            long fh = handles.getAndIncrement();
            files.put(fh, new int[] {fd});
            out.putLong(OUT_HEADER_SIZE, fh);
            out.putInt(OUT_HEADER_SIZE + 8, FOPEN_KEEP_CACHE);
            out.putInt(OUT_HEADER_SIZE + 12, 0);
            return OPEN_OUT_SIZE;
        }

        int read() {
            int[] fd = files.get(in.getLong(IN_HEADER_SIZE));
            if (fd == null) {
                return -Errno.EBADF;
            }
            long offset = in.getLong(IN_HEADER_SIZE + 8);
            int size = Math.min(in.getInt(IN_HEADER_SIZE + 16), BUFFER - OUT_HEADER_SIZE);
            long got = C.pread(fd[0], out.slice(OUT_HEADER_SIZE), size, offset);
            return got < 0 ? -Native.errno() : (int) got;
        }

        int opendir(long nodeid) {
            ProtoNodes.Node n = nodes.get(nodeid);
            if (n == null) {
                return -ESTALE;
            }
            String path = ProtoNodes.path(n);
            if (upper >= 0 && C.fstatat(layer, path, st, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                return -Native.errno();
            }
            int fd = C.openat(layer, path, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC | Native.O_NOATIME, 0);
            if (fd < 0) {
                return -Native.errno();
            }
            long fh = handles.getAndIncrement();
            dirs.put(fh, new DirHandle(fd, n));
            out.putLong(OUT_HEADER_SIZE, fh);
            out.putInt(OUT_HEADER_SIZE + 8, FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
            out.putInt(OUT_HEADER_SIZE + 12, 0);
            return OPEN_OUT_SIZE;
        }

        /** Reads the whole listing of {@code d} (at its first READDIR), as libfuse's high-level API does. */
        void list(DirHandle d) {
            List<String> names = new ArrayList<>();
            long[] inos = new long[64];
            byte[] types = new byte[64];
            while (true) {
                long got = C.getdents64(d.fd, dirents, 32768);
                if (got <= 0) {
                    break;
                }
                for (int p = 0; p < got; ) {
                    int reclen = dirents.getShort(p + 16) & 0xffff;
                    int k = names.size();
                    if (k == inos.length) {
                        inos = java.util.Arrays.copyOf(inos, k * 2);
                        types = java.util.Arrays.copyOf(types, k * 2);
                    }
                    inos[k] = dirents.getLong(p);
                    types[k] = dirents.getByte(p + 18);
                    int end = p + 19;
                    while (dirents.getByte(end) != 0) {
                        end++;
                    }
                    byte[] b = new byte[end - p - 19];
                    dirents.get(p + 19, b, 0, b.length);
                    names.add(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1));
                    p += reclen;
                }
            }
            d.inos = inos;
            d.types = types;
            d.names = names;
        }

        int readdir(boolean plus) {
            DirHandle d = dirs.get(in.getLong(IN_HEADER_SIZE));
            if (d == null) {
                return -Errno.EBADF;
            }
            long offset = in.getLong(IN_HEADER_SIZE + 8);
            int size = Math.min(in.getInt(IN_HEADER_SIZE + 16), BUFFER - OUT_HEADER_SIZE);
            synchronized (d) {
                if (d.names == null || offset == 0) {
                    if (offset == 0 && d.names != null) {
                        C.lseek(d.fd, 0, Native.SEEK_SET);
                    }
                    list(d);
                }
            }
            int pos = OUT_HEADER_SIZE;
            int end = OUT_HEADER_SIZE + size;
            for (int i = (int) offset; i < d.names.size(); i++) {
                String name = d.names.get(i);
                int nl = name.length();
                int rec = DIRENT_HEADER + ((nl + 7) & ~7);
                int full = plus ? ENTRY_OUT_SIZE + rec : rec;
                if (pos + full > end) {
                    break;
                }
                int de = pos;
                if (plus) {
                    boolean dot = name.equals(".") || name.equals("..");
                    if (dot || C.fstatat(d.fd, name, st, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                        out.setMemory(pos, ENTRY_OUT_SIZE, (byte) 0); // nodeid 0: no entry made
                    } else {
                        ProtoNodes.Node n = nodes.lookedUp(d.node, name);
                        entry(out, pos, n.id);
                    }
                    de = pos + ENTRY_OUT_SIZE;
                }
                out.putLong(de, d.inos[i]);
                out.putLong(de + 8, i + 1);
                out.putInt(de + 16, nl);
                out.putInt(de + 20, d.types[i]);
                for (int c = 0; c < nl; c++) {
                    out.putByte(de + DIRENT_HEADER + c, (byte) name.charAt(c));
                }
                for (int c = nl; c < ((nl + 7) & ~7); c++) {
                    out.putByte(de + DIRENT_HEADER + c, (byte) 0);
                }
                pos += full;
            }
            return pos - OUT_HEADER_SIZE;
        }

        int getxattr(long nodeid, int size) {
            ProtoNodes.Node n = nodes.get(nodeid);
            if (n == null) {
                return -ESTALE;
            }
            int want = in.getInt(IN_HEADER_SIZE);
            String name = name(IN_HEADER_SIZE + 8, size);
            String path = ProtoNodes.path(n);
            long got = want == 0 ? C.lgetxattr(absolute(path), name, (Pointer) null, 0)
                    : C.lgetxattr(absolute(path), name, out.slice(OUT_HEADER_SIZE), Math.min(want, BUFFER - OUT_HEADER_SIZE));
            if (got < 0) {
                return -Native.errno();
            }
            if (want == 0) {
                out.putInt(OUT_HEADER_SIZE, (int) got);
                out.putInt(OUT_HEADER_SIZE + 4, 0);
                return 8;
            }
            return (int) got;
        }

        /** lgetxattr has no *at form: the layer's path through /proc/self/fd. */
        String absolute(String path) {
            return "/proc/self/fd/" + layer + "/" + path;
        }

        int statfs() {
            Pointer v = Native.allocate(128);
            if (C.statvfs("/proc/self/fd/" + layer, v) != 0) {
                return -Native.errno();
            }
            int b = OUT_HEADER_SIZE;
            out.putLong(b, v.getLong(16)); // blocks
            out.putLong(b + 8, v.getLong(24)); // bfree
            out.putLong(b + 16, v.getLong(32)); // bavail
            out.putLong(b + 24, v.getLong(40)); // files
            out.putLong(b + 32, v.getLong(48)); // ffree
            out.putInt(b + 40, (int) v.getLong(0)); // bsize
            out.putInt(b + 44, (int) v.getLong(80)); // namelen
            out.putInt(b + 48, (int) v.getLong(8)); // frsize
            out.setMemory(b + 52, KSTATFS_SIZE - 52, (byte) 0);
            return KSTATFS_SIZE;
        }
    }
}
