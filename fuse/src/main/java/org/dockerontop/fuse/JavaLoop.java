package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Our request loop ({@link Loop}, the default): serves the mount without libfuse, reading /dev/fuse and
 * writing replies and cache notifications from Java threads ({@link JavaRequests}), with a node
 * table of our own ({@link NodeTable}). Findings 24 measured what that saves per request; this is
 * step 1 of its design: libfuse 2's node model and {@link OverlayFs}'s path API are kept.
 *
 * <p>Mounts with mount(2) as libfuse's {@code fuse_mount_sys} does when run as root (the same
 * source, type, flags and kernel options), so only a privileged caller can mount this way; serves until the
 * kernel ends the connection (unmount); on SIGTERM unmounts (lazily) first, as {@link FuseLoop}.
 */
final class JavaLoop {
    private static final Logger LOG = LoggerFactory.getLogger(JavaLoop.class);

    /** The system calls libfuse made for us at mount and unmount. */
    public interface MountCalls {
        int mount(String source, String target, String type, long flags, String data);

        int umount2(String target, int flags);

        int getuid();

        int getgid();
    }

    private static final MountCalls SYS = LibraryLoader.create(MountCalls.class).failImmediately().load("c");

    private static final long MS_RDONLY = 1;
    private static final long MS_NOSUID = 2;
    private static final long MS_NODEV = 4;
    private static final long MS_NOEXEC = 8;
    private static final long MS_SYNCHRONOUS = 16;
    private static final long MS_DIRSYNC = 128;
    private static final long MS_NOATIME = 1024;
    private static final int MNT_DETACH = 2;

    /** What the workers of one mount share. */
    static final class Mount {
        final KernelNotifier notifier;
        final LateNotifications late;
        final Passthrough passthrough;
        final ConcurrentHashMap<Long, DirRequests.DirHandle> dirs = new ConcurrentHashMap<>();
        final AtomicLong nextDirHandle = new AtomicLong(1);
        final NodeLocks locks;
        final DirectoryMoves moves;
        final CountDownLatch initialized;
        private final Path mountPoint;
        volatile boolean setxattrExtended;
        volatile boolean maxPagesGranted;
        /** {@code -d}: {@link RequestTrace} of every request. */
        final boolean debug;

        Mount(KernelNotifier notifier, LateNotifications late, Passthrough passthrough, CountDownLatch initialized,
                Path mountPoint, boolean debug, NodeTable nodes, WorkerWaits waits) {
            this.debug = debug;
            this.locks = new NodeLocks(waits);
            this.moves = new DirectoryMoves(nodes, waits);
            this.notifier = notifier;
            this.late = late;
            this.passthrough = passthrough;
            this.initialized = initialized;
            this.mountPoint = mountPoint;
        }

        /** Once the INIT reply is written (the kernel has applied it by then). */
        void afterInit() {
            // after the INIT reply, which would undo it (see Readahead); only with 1 MiB requests
            if (maxPagesGranted) {
                Readahead.set(mountPoint, Readahead.KIB);
            }
            initialized.countDown();
        }
    }

    private JavaLoop() {
    }

    /** mount(2) refused the mount; {@link #errno} says why (EPERM: not privileged here). */
    static final class MountRefused extends Exception {
        final int errno;

        MountRefused(String message, int errno) {
            super(message);
            this.errno = errno;
        }
    }

    /**
     * Opens /dev/fuse and mounts {@code mountPoint} on it, as libfuse's {@code fuse_mount_sys}
     * does when run as root; the kernel then waits for the INIT that {@link #run} answers.
     *
     * @param source     the mount's source (libfuse's fsname)
     * @param mountFlags generic mount flags (dev, nosuid, noatime, ...) as libfuse takes them
     * @return the /dev/fuse descriptor of the new mount
     * @throws MountRefused if the mount point cannot be read, /dev/fuse cannot be opened or
     *         mount(2) fails (EPERM without CAP_SYS_ADMIN in the mount's user namespace); nothing is
     *         mounted or left open then
     */
    static int mount(Path mountPoint, String source, List<String> mountFlags, boolean readOnly) throws MountRefused {
        String mp = Native.bytesToString(mountPoint.toString());
        Pointer st = Native.allocate(Stat.SIZE);
        if (Native.LIBC.fstatat(Native.AT_FDCWD, mp, st, 0) != 0) {
            int e = Native.errno();
            throw new MountRefused(mountPoint + ": " + Errno.name(e), e);
        }
        int dev = Native.LIBC.open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC, 0);
        if (dev < 0) {
            int e = Native.errno();
            throw new MountRefused("cannot open /dev/fuse: " + Errno.name(e), e);
        }
        // libfuse's defaults are nosuid,nodev, which the dev,suid FuseMain always passes clear:
        // like a kernel overlay mount unless asked otherwise
        long flags = 0;
        for (String f : mountFlags) {
            flags = flag(flags, f);
        }
        if (readOnly) {
            flags |= MS_RDONLY;
        }
        String data = "fd=" + dev + ",rootmode=" + Integer.toOctalString(Stat.mode(st) & Stat.S_IFMT) + ",user_id="
                + SYS.getuid() + ",group_id=" + SYS.getgid() + ",allow_other,default_permissions,max_read=1048576";
        if (SYS.mount(source, mp, FuseMain.FSTYPE, flags, data) != 0) {
            int e = Native.errno();
            Native.LIBC.close(dev);
            throw new MountRefused("mount(2) of " + mountPoint + " failed: " + Errno.name(e), e);
        }
        return dev;
    }

    /**
     * Serves the mount {@link #mount} made on {@code dev} until it is unmounted, then closes
     * {@code dev}.
     *
     * @param initialized counted down once the INIT reply is written
     * @param debug       trace every request on stderr ({@code -d})
     * @return 0 (it ends by unmounting)
     */
    static int run(OverlayFs fs, int dev, Path mountPoint, boolean readOnly, int threads,
            Passthrough.Policy passthrough, CountDownLatch initialized, boolean debug, int maxNodes) {
        String mp = Native.bytesToString(mountPoint.toString());
        DeviceNotifier notifier = new DeviceNotifier(dev);
        LateNotifications late = new LateNotifications(KernelCacheDrops.lateSender(notifier));
        KernelCacheDrops drops = new KernelCacheDrops(notifier, threads, late);
        fs.kernelCache = drops;
        Passthrough io = new Passthrough(dev, passthrough, readOnly, fs.handles()::get, fs.layers());
        fs.passthrough = io;
        NodeTable nodes = new NodeTable();
        fs.oneNodePerUpperInode(nodes::idOf); // NodeTable's way; libfuse's table has one node per name
        ColdStart.load(Dirents.class); // first used in the middle of the first listing
        NodePruner pruner = new NodePruner(nodes, notifier,
                maxNodes > 0 ? maxNodes : NodePruner.defaultLimit(Runtime.getRuntime().maxMemory()));
        pruner.start();
        Mount mount = new Mount(notifier, late, io, initialized, mountPoint, debug, nodes, new WorkerWaits(() -> drops));
        long buffer = KernelReplyPatch.REQUEST_BUFFER;
        FuseWorkers workers = new FuseWorkers(() -> serve(mount, fs, nodes, dev, buffer));
        for (int i = 0; i < threads; i++) {
            workers.startOne();
        }
        drops.startWorkersWith(workers::startOne);
        workers.awaitEnd(() -> { }, () -> SYS.umount2(mp, MNT_DETACH), late, () -> Native.LIBC.close(dev));
        pruner.stop();
        return 0;
    }

    private static long flag(long flags, String f) {
        switch (f) {
            case "suid": return flags & ~MS_NOSUID;
            case "nosuid": return flags | MS_NOSUID;
            case "dev": return flags & ~MS_NODEV;
            case "nodev": return flags | MS_NODEV;
            case "exec": return flags & ~MS_NOEXEC;
            case "noexec": return flags | MS_NOEXEC;
            case "async": return flags & ~MS_SYNCHRONOUS;
            case "sync": return flags | MS_SYNCHRONOUS;
            case "atime": return flags & ~MS_NOATIME;
            case "noatime": return flags | MS_NOATIME;
            case "dirsync": return flags | MS_DIRSYNC;
            default: return flags;
        }
    }

    private static void serve(Mount mount, OverlayFs fs, NodeTable nodes, int dev, long buffer) {
        JavaRequests w = null;
        try {
            w = new JavaRequests(mount, fs, nodes, dev, buffer);
            while (serveOneSurvivingOom(w, dev, buffer)) {
                // one request per call: see FuseLoop.Worker
            }
        } catch (Throwable t) {
            LOG.error("FUSE worker stopped", t);
        } finally {
            if (w != null) {
                w.data.close();
            }
        }
    }

    /**
     * {@link #serveOne}, going on after an OutOfMemoryError outside a request's answer (which
     * answers ENOMEM itself): a worker that ended would leave the mount unanswered.
     */
    private static boolean serveOneSurvivingOom(JavaRequests w, int dev, long buffer) {
        try {
            return serveOne(w, dev, buffer);
        } catch (OutOfMemoryError e) {
            LOG.error("FUSE worker out of memory; serving on");
            return true;
        }
    }

    /** Reads and answers one request; false once the connection is gone. */
    private static boolean serveOne(JavaRequests w, int dev, long buffer) {
        long n = Native.LIBC.read(dev, w.mem, buffer);
        if (n < 0) {
            int e = Native.errno();
            // EINTR; ENOENT: the request was interrupted before we read it; EAGAIN
            if (e == Errno.EINTR || e == Errno.ENOENT || e == Errno.EAGAIN) {
                return true;
            }
            if (e != Errno.ENODEV) {
                LOG.error("reading /dev/fuse failed: {}", Errno.name(e));
            }
            return false;
        }
        if (n < FuseAbi.IN_HEADER_SIZE) {
            LOG.error("short read of {} bytes from /dev/fuse", n);
            return false;
        }
        return w.serve((int) n);
    }

    /**
     * Notifications written to /dev/fuse: a fuse_out_header with unique 0 and the notify code in
     * {@code error}, then the code's struct. One buffer per calling thread.
     */
    static final class DeviceNotifier implements KernelNotifier, NodePruner.Sender {
        private static final int FUSE_NOTIFY_INVAL_INODE = 2;
        private static final int FUSE_NOTIFY_INVAL_ENTRY = 3;
        private static final int FUSE_NOTIFY_PRUNE = 9;
        /** FUSE_NAME_MAX and its NUL, after the header and fuse_notify_inval_entry_out. */
        private static final int SIZE = OUT_HEADER_SIZE + 16 + 1025;

        private final int dev;
        private final ThreadLocal<Pointer> buffers = ThreadLocal.withInitial(() -> Native.allocate(SIZE));

        DeviceNotifier(int dev) {
            this.dev = dev;
        }

        @Override
        public int invalInode(long node, long off, long len) {
            Pointer b = buffers.get();
            FuseAbi.outHeader(b, OUT_HEADER_SIZE + 24, FUSE_NOTIFY_INVAL_INODE, 0);
            b.putLong(OUT_HEADER_SIZE, node);
            b.putLong(OUT_HEADER_SIZE + 8, off);
            b.putLong(OUT_HEADER_SIZE + 16, len);
            return write(b, OUT_HEADER_SIZE + 24);
        }

        @Override
        public int invalEntry(long parent, Pointer name, long length) {
            if (length > 1024) {
                return -Errno.ENAMETOOLONG;
            }
            Pointer b = buffers.get();
            name.transferTo(0, b, OUT_HEADER_SIZE + 16, length);
            return sendInvalEntry(b, parent, (int) length);
        }

        /** FUSE_NOTIFY_PRUNE: fuse_notify_prune_out (count, padding, spare), then the ids. */
        @Override
        public int prune(long[] ids, int count) {
            int total = OUT_HEADER_SIZE + 16 + 8 * count;
            Pointer b = Native.allocate(total);
            FuseAbi.outHeader(b, total, FUSE_NOTIFY_PRUNE, 0);
            b.putInt(OUT_HEADER_SIZE, count);
            b.putInt(OUT_HEADER_SIZE + 4, 0);
            b.putLong(OUT_HEADER_SIZE + 8, 0);
            b.put(OUT_HEADER_SIZE + 16, ids, 0, count);
            return write(b, total);
        }

        /** {@link #invalEntry(long, Pointer, long)} of a name held as a byte string (one char per byte). */
        @Override
        public int invalEntry(long parent, String name) {
            byte[] n = name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            if (n.length > 1024) {
                return -Errno.ENAMETOOLONG;
            }
            Pointer b = buffers.get();
            b.put(OUT_HEADER_SIZE + 16, n, 0, n.length);
            return sendInvalEntry(b, parent, n.length);
        }

        /** Writes FUSE_NOTIFY_INVAL_ENTRY from {@code b}, whose name ({@code length} bytes) is in place already. */
        private int sendInvalEntry(Pointer b, long parent, int length) {
            int total = OUT_HEADER_SIZE + 16 + length + 1;
            FuseAbi.outHeader(b, total, FUSE_NOTIFY_INVAL_ENTRY, 0);
            b.putLong(OUT_HEADER_SIZE, parent);
            b.putInt(OUT_HEADER_SIZE + 8, length);
            b.putInt(OUT_HEADER_SIZE + 12, 0);
            b.putByte(OUT_HEADER_SIZE + 16 + length, (byte) 0);
            return write(b, total);
        }

        private int write(Pointer b, int length) {
            long n = SplicedReads.SYS.write(dev, b, length);
            return n < 0 ? -Native.errno() : 0;
        }
    }
}
