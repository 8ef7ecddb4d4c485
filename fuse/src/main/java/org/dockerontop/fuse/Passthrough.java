package org.dockerontop.fuse;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongFunction;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FUSE passthrough (kernel 6.9): the kernel reads and writes an open file's real layer file itself,
 * from that file's own page cache, and no READ or WRITE reaches us. A warm read of a FUSE file
 * otherwise copies out of the FUSE inode's page cache, which the kernel fills with 4 KiB folios only
 * (the layer file's cache on ext4/xfs uses large folios): twice the kernel overlay's time.
 *
 * <p>The kernel's rules (fs/fuse/iomode.c), which this class keeps: every open of one inode is
 * either cached or passthrough, never both at once (a mix fails the open with EIO), and all
 * passthrough opens of one inode share one backing file while any is open. So the decision is per
 * kernel node: while it has cached opens, new ones are cached; while it has passthrough opens, new
 * ones reuse that backing if they are of the same real file. Another real file cannot be opened on
 * that node at all: the kernel fails every open of an inode with a backing file that is not passed
 * through to that file, FOPEN_DIRECT_IO included (EIO; seen on 6.18, findings section 23), so such
 * an open fails and is logged. Our counts move before the kernel's on open (decided before the
 * reply is written) and after them on release (the kernel leaves an inode's mode before it sends
 * RELEASE), so they are never below the kernel's and a decision never contradicts the kernel's state.
 *
 * <p>Which files: those of the upper layer. A lower file stays with the daemon on a writable mount:
 * while a node has passthrough opens the kernel accepts only passthrough opens of it, with the same
 * backing file, so once a reader had the lower file passed through, a writer (whose open copies the
 * file up) could only be refused (EIO) or given the lower file to write; and a passthrough
 * descriptor could not be switched to the upper copy as the kernel overlay switches it (see
 * {@link Handle}). On a read-only mount nothing is ever copied up, and lower files pass through too.
 * Names of one file are separate kernel nodes (libfuse 2), so a file with several names has one
 * mode per name: all of them must go the same way, or a passthrough write through one name leaves
 * stale pages in another's cache (the daemon drops those only for the WRITEs it sees, see
 * {@link OverlayFs}'s hard-link tracking). So an open of a file with several names is passed
 * through only while the file has passthrough opens already (typically: opened, then linked).
 */
final class Passthrough {
    private static final Logger LOG = LoggerFactory.getLogger(Passthrough.class);
    private static final LibC C = Native.LIBC;

    /** Mount option {@code passthrough=on|off}. */
    enum Policy {
        /** Every read and write is served by the daemon. */
        OFF,
        /** Where the kernel allows it, as described above. The default. */
        ON;

        static Policy parse(String s) {
            switch (s) {
                case "off":
                    return OFF;
                case "on":
                    return ON;
                default:
                    throw new IllegalArgumentException(s);
            }
        }
    }

    /** What an OPEN or CREATE reply gets: nothing, passthrough with a backing id, or direct I/O. */
    static final int CACHED = 0;
    static final int DIRECT_IO = -1;

    /** FUSE_DEV_IOC_BACKING_OPEN = _IOW(229, 1, struct fuse_backing_map), _CLOSE = _IOW(229, 2, uint32_t). */
    private static final long BACKING_OPEN = 0x4010E501L;
    private static final long BACKING_CLOSE = 0x4004E502L;

    private final int devFd;
    private final Policy policy;
    private final boolean readOnlyMount;
    private final int maxStackDepth;
    private final LongFunction<Handle> handles;
    private final Map<Long, NodeIo> nodes = new HashMap<>();
    /** Passthrough opens per real file, over all its nodes. */
    private final Map<Inode, Integer> passedFiles = new HashMap<>();
    private final ThreadLocal<Pointer> scratch = ThreadLocal.withInitial(() -> Native.allocate(Stat.SIZE));
    /** Set when the kernel refuses backing files for this mount (no privilege, unsupported file system). */
    private volatile boolean refused;

    /**
     * A real file, as a map key. A class rather than a record: a record's equals and hashCode are
     * bootstrapped through invokedynamic on first use, which spun some 80 method-handle classes
     * (about 25 ms) in the middle of the first passthrough open of every fresh mount.
     */
    private static final class Inode {
        private final long dev;
        private final long ino;

        Inode(long dev, long ino) {
            this.dev = dev;
            this.ino = ino;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Inode && ((Inode) o).dev == dev && ((Inode) o).ino == ino;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(dev) * 31 + Long.hashCode(ino);
        }
    }

    /** One kernel node's open regular files. */
    private static final class NodeIo {
        int cached;
        int passthrough;
        int backingId;
        long dev;
        long ino;
    }

    /**
     * @param devFd the mount's /dev/fuse descriptor (backing ids belong to its connection)
     * @param handles our open files by {@code fh}
     * @param readOnlyMount whether the mount is read-only (so nothing is ever copied up)
     * @param layers the lower and upper directories (whose file systems the backing files are on)
     */
    Passthrough(int devFd, Policy policy, boolean readOnlyMount, LongFunction<Handle> handles, String... layers) {
        this.devFd = devFd;
        this.policy = policy;
        this.readOnlyMount = readOnlyMount;
        this.handles = handles;
        this.maxStackDepth = stackDepth(layers);
    }

    Policy policy() {
        return policy;
    }

    /**
     * What the INIT reply's max_stack_depth says: how deep a stack of file systems a backing file
     * may be on. The kernel also makes it our mount's own depth, and refuses an overlay whose layers
     * are deeper than 2 — so 1 where it suffices (an overlay can still be mounted on top of ours),
     * and 2 only where a layer is itself on an overlay (a nested host, where passthrough is
     * otherwise refused for every file).
     */
    int maxStackDepth() {
        return maxStackDepth;
    }

    private static int stackDepth(String... layers) {
        for (String layer : layers) {
            try {
                if ("overlay".equals(java.nio.file.Files.getFileStore(java.nio.file.Path.of(layer)).type())) {
                    return 2;
                }
            } catch (java.io.IOException | RuntimeException e) {
                // unknown: the shallow default; the kernel refuses what is too deep, file by file
            }
        }
        return 1;
    }

    /**
     * Decides how the kernel serves the file just opened as {@code fh} on {@code node} and counts it
     * on that node; call before its OPEN or CREATE reply is written.
     *
     * @param mayPass false to keep this open (and so its node's, while it is open) with the daemon
     * @return a backing id (&gt; 0) for FOPEN_PASSTHROUGH, {@link #CACHED} or {@link #DIRECT_IO}
     */
    int opened(long node, long fh, boolean mayPass) {
        Handle h = handles.apply(fh);
        if (h == null || h.ioNode != 0) {
            return CACHED;
        }
        synchronized (nodes) {
            NodeIo n = nodes.computeIfAbsent(node, k -> new NodeIo());
            h.ioNode = node;
            if (n.passthrough > 0) {
                Pointer st = scratch.get();
                if (C.fstat(h.fd, st) == 0 && Stat.dev(st) == n.dev && Stat.ino(st) == n.ino) {
                    n.passthrough++;
                    h.backingId = n.backingId;
                    passedFiles.merge(new Inode(n.dev, n.ino), 1, Integer::sum);
                    return n.backingId;
                }
                // another real file behind the same node: the kernel takes only this node's
                // backing now, so the open fails (EIO); not reached while lower files (the only
                // ones whose real file changes, on copy-up) stay with the daemon
                LOG.error("node {} is passed through to another file than the one opened", node);
                h.ioNode = 0;
                dropIfIdle(node, n);
                return DIRECT_IO;
            }
            if (n.cached == 0 && mayPass && eligible(h)) {
                int id = backingOpen(h);
                if (id > 0) {
                    n.passthrough = 1;
                    n.backingId = id;
                    h.backingId = id;
                    passedFiles.merge(new Inode(n.dev, n.ino), 1, Integer::sum);
                    return id;
                }
            }
            n.cached++;
            return CACHED;
        }
    }

    /** Uncounts a released file (one {@link #opened} counted). */
    void released(Handle h) {
        long node = h.ioNode;
        if (node == 0) {
            return;
        }
        synchronized (nodes) {
            NodeIo n = nodes.get(node);
            if (n == null) {
                return;
            }
            if (h.backingId > 0) {
                passedFiles.computeIfPresent(new Inode(n.dev, n.ino), (k, c) -> c > 1 ? c - 1 : null);
                if (--n.passthrough == 0) {
                    backingClose(n.backingId);
                    n.backingId = 0;
                }
            } else {
                n.cached--;
            }
            dropIfIdle(node, n);
        }
    }

    private void dropIfIdle(long node, NodeIo n) {
        if (n.cached <= 0 && n.passthrough <= 0) {
            nodes.remove(node);
        }
    }

    private boolean eligible(Handle h) {
        if (refused || policy == Policy.OFF) {
            return false;
        }
        return h.lowerPath == null || readOnlyMount;
    }

    /** Registers the handle's descriptor as a backing file; 0 if the kernel will not, or must not. */
    private int backingOpen(Handle h) {
        Pointer st = scratch.get();
        if (C.fstat(h.fd, st) != 0 || !Stat.isReg(st)) {
            return 0;
        }
        long dev = Stat.dev(st);
        long ino = Stat.ino(st);
        if ((h.linked || Stat.nlink(st) > 1) && !passedFiles.containsKey(new Inode(dev, ino))) {
            return 0; // its other names are served by the daemon, or may be
        }
        // struct fuse_backing_map { int32 fd; uint32 flags; uint64 padding; }, in the stat buffer's room
        st.putInt(0, h.fd);
        st.putInt(4, 0);
        st.putLong(8, 0);
        int id = C.ioctl(devFd, BACKING_OPEN, st);
        if (id > 0) {
            NodeIo n = nodes.get(h.ioNode);
            n.dev = dev;
            n.ino = ino;
            return id;
        }
        int errno = Native.errno();
        // EPERM: no CAP_SYS_ADMIN (a user namespace); ENOTTY/EINVAL: an older kernel; EOPNOTSUPP:
        // passthrough not granted at INIT. None changes while mounted. ELOOP (a layer on a stacked
        // file system deeper than INIT allowed) and the rest concern this file only.
        if (errno == Errno.EPERM || errno == Errno.ENOTTY || errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP) {
            refused = true;
            LOG.info("FUSE passthrough refused by the kernel ({}): reads and writes are served by the daemon",
                    Errno.name(errno));
        } else {
            LOG.debug("no passthrough for one file: {}", Errno.name(errno));
        }
        return 0;
    }

    private void backingClose(int id) {
        Pointer arg = scratch.get();
        arg.putInt(0, id);
        if (C.ioctl(devFd, BACKING_CLOSE, arg) != 0) {
            LOG.warn("closing FUSE backing file {} failed: {}", id, Errno.name(Native.errno()));
        }
    }
}
