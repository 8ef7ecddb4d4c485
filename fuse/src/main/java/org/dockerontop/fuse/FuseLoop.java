package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.FUSE_INIT;
import static org.dockerontop.fuse.FuseAbi.FUSE_LINK;
import static org.dockerontop.fuse.FuseAbi.FUSE_LOOKUP;
import static org.dockerontop.fuse.FuseAbi.FUSE_READDIRPLUS;
import static org.dockerontop.fuse.FuseAbi.FUSE_RENAME;
import static org.dockerontop.fuse.FuseAbi.FUSE_RENAME2;
import static org.dockerontop.fuse.FuseAbi.FUSE_TMPFILE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_LEN;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;

import java.util.ArrayList;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * Mounts with libfuse 2 ({@code fuse_setup}) and serves requests from a pool of Java threads
 * ({@code fuse_session_receive_buf} / {@code fuse_session_process_buf}, what {@code fuse_loop_mt}
 * does in C): {@code threads=} of them, and at most a few more for cache drops that must wait
 * (see KernelCacheDrops).
 *
 * <p>Why not {@code fuse_main}: its worker pthreads come and go, and jffi attaches a foreign
 * thread to the JVM and detaches it again around every callback until that thread has made 1000
 * calls, which cost several system calls (mmap, mprotect, munmap, ...) per request. Our workers are
 * Java threads, attached once for their whole life.
 *
 * <p>READDIRPLUS, which libfuse 2.9 would answer with ENOSYS, is answered by {@link ReaddirPlus}
 * (only with the reply patch installed, which is what grants it in INIT).
 */
final class FuseLoop {
    private static final Logger LOG = LoggerFactory.getLogger(FuseLoop.class);

    /** The libfuse 2.9 session API (the versioned defaults, FUSE_2.6+ / FUSE_2.9). */
    public interface LibFuse2 {
        Pointer fuse_setup(int argc, String[] argv, Pointer ops, long opSize, Pointer mountpoint,
                Pointer multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer se, Pointer ch);

        int fuse_session_receive_buf(Pointer se, Pointer buf, Pointer chp);

        void fuse_session_process_buf(Pointer se, Pointer buf, Pointer ch);

        int fuse_session_exited(Pointer se);

        void fuse_session_exit(Pointer se);

        long fuse_chan_bufsize(Pointer ch);

        int fuse_chan_fd(Pointer ch);

        int fuse_lowlevel_notify_inval_inode(Pointer ch, long ino, long off, long len);

        int fuse_lowlevel_notify_inval_entry(Pointer ch, long parent, Pointer name, long namelen);
    }

    /** fuse_link_in.oldnodeid. */
    private static final int LINK_IN_OLDNODEID = IN_HEADER_SIZE;

    private static final LibFuse2 FUSE = load();
    /** sizeof(struct fuse_buf) on 64-bit: size, flags, mem, fd, pos. */
    private static final int FUSE_BUF_SIZE = 40;
    /** Offsets in struct fuse_buf: the request's length, its memory. */
    private static final int FUSE_BUF_LENGTH = 0;
    private static final int FUSE_BUF_MEM = 16;

    private static LibFuse2 load() {
        try {
            return LibraryLoader.create(LibFuse2.class).failImmediately().load("fuse");
        } catch (Throwable e) {
            return LibraryLoader.create(LibFuse2.class).failImmediately().load("libfuse.so.2");
        }
    }

    private FuseLoop() {
    }

    /**
     * Mounts {@code mountPoint} with the given operations and libfuse arguments, serves until
     * unmounted, then tears the session down.
     *
     * @return 0 when it ended by unmounting, non-zero if the mount could not be set up
     */
    static int run(FuseOperations ops, OverlayFs fs, String mountPoint, List<String> fuseArgs, int threads, boolean debug,
            Passthrough.Policy passthrough, boolean readOnly) {
        List<String> argv = new ArrayList<>();
        argv.add(FuseMain.SUBTYPE);
        argv.add(mountPoint);
        argv.add("-f");
        if (debug) {
            argv.add("-d");
        }
        argv.addAll(fuseArgs);
        Pointer mp = Native.allocate(8);
        Pointer mt = Native.allocate(8);
        Pointer fuse = FUSE.fuse_setup(argv.size(), argv.toArray(new String[0]), Struct.getMemory(ops),
                Struct.size(ops), mp, mt, null);
        if (fuse == null || fuse.address() == 0) {
            return 1;
        }
        Pointer se = FUSE.fuse_get_session(fuse);
        Pointer ch = FUSE.fuse_session_next_chan(se, null);
        long bufsize = FUSE.fuse_chan_bufsize(ch);
        KernelNotifier notifier = new KernelNotifier() {
            @Override
            public int invalInode(long node, long off, long len) {
                return FUSE.fuse_lowlevel_notify_inval_inode(ch, node, off, len);
            }

            @Override
            public int invalEntry(long parent, Pointer name, long length) {
                return FUSE.fuse_lowlevel_notify_inval_entry(ch, parent, name, length);
            }
        };
        LateNotifications late = new LateNotifications(KernelCacheDrops.lateSender(notifier));
        KernelCacheDrops drops = new KernelCacheDrops(notifier, threads, late);
        fs.kernelCache = drops;
        int devFd = FUSE.fuse_chan_fd(ch);
        Passthrough io = new Passthrough(devFd, passthrough, readOnly, fs.handles()::get, fs.layers());
        KernelReplyPatch replies = KernelReplyPatch.install(ch, devFd, fs::lookupReplied, io, fs.acls());
        if (replies != null) {
            fs.passthrough = io; // counts releases of what the patched replies counted
        }
        // room for the 1 MiB writes the patched INIT asks for; libfuse's own size otherwise
        long requestBuffer = replies != null ? Math.max(bufsize, KernelReplyPatch.REQUEST_BUFFER) : bufsize;
        // after the INIT reply, which would undo it (see Readahead); only with 1 MiB requests
        // granted: in 128 KiB READs a larger window did not read faster
        Runnable afterInit = () -> {
            if (replies != null && replies.maxPagesGranted()) {
                Readahead.set(java.nio.file.Paths.get(mountPoint), Readahead.KIB);
            }
        };
        FuseWorkers workers = new FuseWorkers(() -> serve(fs, se, ch, notifier, requestBuffer, replies, late, afterInit));
        for (int i = 0; i < threads; i++) {
            workers.startOne();
        }
        drops.startWorkersWith(workers::startOne);
        // the channel is freed by the teardown, so not under a thread still writing to it
        workers.awaitEnd(() -> FUSE.fuse_session_exit(se),
                () -> ru.serce.jnrfuse.utils.MountUtils.umount(java.nio.file.Paths.get(mountPoint)), late,
                () -> FUSE.fuse_teardown(fuse, mp.getPointer(0)));
        java.lang.ref.Reference.reachabilityFence(replies); // libfuse calls it until the teardown
        return 0;
    }

    private static void serve(OverlayFs fs, Pointer se, Pointer ch, KernelNotifier notifier, long bufsize,
            KernelReplyPatch replies, LateNotifications late, Runnable afterInit) {
        try {
            Worker w = new Worker(fs, se, ch, notifier, bufsize, replies, late, afterInit);
            try {
                while (w.serveOne()) {
                    // one request per call: see Worker
                }
            } finally {
                w.data.close();
            }
        } catch (Throwable t) {
            LOG.error("FUSE worker stopped", t);
            FUSE.fuse_session_exit(se);
        }
    }

    /**
     * One worker's state, and the serving of one request as a method of its own: the JIT compiles
     * a method after a few hundred calls, but a loop body running inside one long call only once
     * its back-edge counter passes tens of thousands (and with C1 only, never better than that
     * on-stack replacement), so a loop written out in {@code serve} ran interpreted for the first
     * ~60,000 requests of every worker.
     */
    private static final class Worker {
        private final OverlayFs fs;
        private final Pointer se;
        private final Pointer ch;
        private final KernelNotifier notifier;
        private final long bufsize;
        private final KernelReplyPatch replies;
        private final LateNotifications late;
        /** Run once the INIT reply has been written (the kernel has applied it by then). */
        private final Runnable afterInit;
        private final Pointer buf = Native.allocate(FUSE_BUF_SIZE);
        private final Pointer chp = Native.allocate(8);
        /** One request buffer per worker for its whole life, as fuse_loop_mt does. */
        private final Pointer mem;
        private final OverlayFs.Scratch state;
        private final ReaddirPlus plus;
        private final DataRequests data;

        Worker(OverlayFs fs, Pointer se, Pointer ch, KernelNotifier notifier, long bufsize, KernelReplyPatch replies,
                LateNotifications late, Runnable afterInit) {
            this.notifier = notifier;
            this.fs = fs;
            this.afterInit = afterInit;
            this.se = se;
            this.ch = ch;
            this.bufsize = bufsize;
            this.replies = replies;
            this.late = late;
            this.mem = Native.allocate((int) bufsize);
            this.state = fs.requestState();
            this.plus = replies == null ? null : readdirPlus(fs, se, ch, notifier, replies, late);
            this.data = new DataRequests(fs, FUSE.fuse_chan_fd(ch), mem, bufsize);
        }

        /** Reads and answers one request; false once the session is over. */
        boolean serveOne() {
            if (FUSE.fuse_session_exited(se) != 0) {
                return false;
            }
            memoryBuffer(buf, bufsize, mem);
            chp.putPointer(0, ch);
            int res = FUSE.fuse_session_receive_buf(se, buf, chp);
            if (res == -Errno.EINTR) {
                return true;
            }
            if (res <= 0) {
                if (res < 0) {
                    LOG.error("reading /dev/fuse failed: {}", Errno.name(-res));
                }
                FUSE.fuse_session_exit(se);
                return false;
            }
            int opcode = mem.getInt(IN_HEADER_OPCODE);
            long nodeid = mem.getLong(IN_HEADER_NODEID);
            // libfuse 2.9 would answer ENOSYS, and the kernel would never ask again: rewritten
            // into requests libfuse knows (TMPFILE keeps its opcode here, for the reply's patch)
            if (opcode == FUSE_TMPFILE || opcode == FUSE_RENAME2) {
                int length = opcode == FUSE_TMPFILE
                        ? TmpfileRequest.asCreate(mem, res, bufsize, FUSE.fuse_chan_fd(ch))
                        : RenameRequest.asRename(mem, res, FUSE.fuse_chan_fd(ch));
                if (length < 0) {
                    return true; // answered with an error
                }
                buf.putLong(FUSE_BUF_LENGTH, length);
                res = length;
                if (opcode == FUSE_RENAME2) {
                    opcode = FUSE_RENAME;
                }
            }
            state.killSgid = false;
            if (opcode == SetxattrRequest.FUSE_SETXATTR && replies != null && replies.setxattrExtended()) {
                state.killSgid = (SetxattrRequest.flags(mem, res) & SetxattrRequest.ACL_KILL_SGID) != 0;
                int length = SetxattrRequest.asPlain(mem, res, FUSE.fuse_chan_fd(ch));
                if (length < 0) {
                    return true; // answered with an error
                }
                buf.putLong(FUSE_BUF_LENGTH, length);
                res = length;
            }
            long linkSource = opcode == FUSE_LINK ? mem.getLong(LINK_IN_OLDNODEID) : 0;
            state.requestNode = nodeid;
            state.linkSource = linkSource;
            if (opcode == FUSE_READDIRPLUS && plus != null) {
                plus.answer(mem, res); // libfuse 2.9 would answer ENOSYS
            } else if (data.served(opcode, res)) {
                // a READ or WRITE, answered without libfuse
            } else {
                process(fs, se, ch, replies, buf, chp.getPointer(0), mem, opcode, nodeid, linkSource, false);
            }
            try {
                if (opcode == FUSE_INIT) {
                    afterInit.run();
                }
                AfterRequest.run(fs, state, notifier, late, mem, res, opcode, nodeid, linkSource);
            } catch (RuntimeException e) {
                // only a cache hint was lost; the request itself has been answered
                LOG.error("after request {} on node {}", opcode, nodeid, e);
            } finally {
                LongPaths.release();
            }
            return true;
        }
    }

    /**
     * Has libfuse serve the request in {@code mem}, with what the loop does around each request of
     * its kind. {@code captured}: a request made up by {@link ReaddirPlus}, whose reply must go
     * through the patched send to be captured.
     */
    private static void process(OverlayFs fs, Pointer se, Pointer ch, KernelReplyPatch replies, Pointer buf,
            Pointer reqCh, Pointer mem, int opcode, long nodeid, long linkSource, boolean captured) {
        if (opcode == FUSE_LOOKUP) {
            fs.beginLookup();
        } else if (linkSource != 0) {
            fs.beginLookup(); // its reply is an entry too (see OverlayFs.lookupReplied)
            // the source's nlink is about to change; dropping it before the reply too
            // means a caller's next lstat cannot race the invalidation that follows it
            FUSE.fuse_lowlevel_notify_inval_inode(ch, linkSource, -1, 0);
        }
        Pointer via = replies == null || captured ? reqCh : replies.channelFor(opcode, reqCh);
        boolean patched = replies != null && via == reqCh;
        if (patched) {
            replies.answering(opcode, mem);
        }
        FUSE.fuse_session_process_buf(se, buf, via);
        if (patched) {
            replies.answering(0, mem);
        }
        if (opcode == FUSE_LOOKUP) {
            fs.endLookup(nodeid);
        }
    }

    /** Makes {@code buf} (a struct fuse_buf) describe {@code size} bytes of memory at {@code mem}. */
    private static void memoryBuffer(Pointer buf, long size, Pointer mem) {
        buf.putLong(FUSE_BUF_LENGTH, size);
        buf.putInt(8, 0); // flags: memory, not a descriptor
        buf.putPointer(FUSE_BUF_MEM, mem);
    }

    /**
     * A worker's READDIRPLUS server: the requests it makes up (READDIR, LOOKUP, FORGET) are served
     * as if read from /dev/fuse, each with the loop's bookkeeping (lookups counted for the node
     * tracking, forgets ending it).
     */
    private static ReaddirPlus readdirPlus(OverlayFs fs, Pointer se, Pointer ch, KernelNotifier notifier,
            KernelReplyPatch replies, LateNotifications late) {
        Pointer buf = Native.allocate(FUSE_BUF_SIZE);
        return new ReaddirPlus(replies, request -> {
            int size = request.getInt(IN_HEADER_LEN);
            int opcode = request.getInt(IN_HEADER_OPCODE);
            long nodeid = request.getLong(IN_HEADER_NODEID);
            memoryBuffer(buf, size, request);
            process(fs, se, ch, replies, buf, ch, request, opcode, nodeid, 0, true);
            try {
                AfterRequest.run(fs, fs.requestState(), notifier, late, request, size, opcode, nodeid, 0);
            } catch (RuntimeException e) {
                LOG.error("after request {} on node {} for a READDIRPLUS", opcode, nodeid, e);
            }
        });
    }
}
