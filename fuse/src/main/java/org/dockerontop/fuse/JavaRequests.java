package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UNIQUE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of {@link JavaLoop}: decodes each request read from /dev/fuse, calls the same
 * {@link OverlayFs} methods {@link FuseOverlay} calls for libfuse 2's high-level API, on paths
 * built from the {@link NodeTable} as libfuse builds them, and encodes the reply as libfuse and
 * {@link KernelReplyPatch} together would have: 60 s entry, attribute and negative timeouts,
 * KEEP_CACHE on opened files ({@code kernel_cache}), KEEP_CACHE|CACHE_DIR on directories, the
 * INIT flags the patch grants, passthrough as {@link Passthrough} decides.
 *
 * <p>libfuse's semantics kept on purpose (step 1 of findings 24's design): one node per (parent,
 * name); an unlinked or replaced name that is still open is renamed to {@code .fuse_hidden*}
 * (which {@link OverlayFs#hide} turns into a name of the workdir) and removed at its last release;
 * O_TMPFILE files get a reserved name of {@link UnnamedFiles}; RENAME2 with NOREPLACE is a
 * RENAME ({@link RenameRequest}), with EXCHANGE an exchange that libfuse 2 could not serve
 * ({@link OverlayFs#exchange}); a regular file made by MKNOD is made by create. Every request
 * is answered (or, FORGET, not) exactly once; an {@link ErrnoException} becomes {@code -errno}
 * in {@link #fail}, anything else EIO and a log line.
 *
 * <p>This class decodes a request, holds the node lock and {@link DirectoryMoves} slot of a
 * request through its node's path, hands it to the worker's object for its kind and writes the
 * reply ({@link Replies}); the kinds: {@link EntryRequests} (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK,
 * READLINK), {@link AttrRequests} (GETATTR, STATX, SETATTR, ACCESS, STATFS), {@link NameChanges}
 * (UNLINK, RMDIR, RENAME, exchange; they lock for themselves), {@link FileRequests} (OPEN, CREATE,
 * RELEASE, FSYNC, FALLOCATE, IOCTL), {@link XattrRequests}, {@link DirRequests} and
 * {@link InitRequest}; READ, WRITE, LSEEK and COPY_FILE_RANGE never reach the switch
 * ({@link DataRequests}). Each worker has one object of each kind, made with the worker, so that
 * a request allocates nothing more for being served by kind.
 */
final class JavaRequests {
    private static final Logger LOG = LoggerFactory.getLogger(JavaRequests.class);

    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int IOCTL = 39;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;
    static final int FALLOCATE = 43;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;
    static final int TMPFILE = 51;
    static final int STATX = 52;

    private static final int NO_REPLY = Replies.NONE;
    private static final int IN = IN_HEADER_SIZE;

    private final JavaLoop.Mount mount;
    private final OverlayFs fs;
    private final NodeTable nodes;
    private final int device;
    private final long capacity;
    /** The request buffer, for this worker's life. */
    final Pointer mem;
    private final Replies replies;
    private final OverlayFs.Scratch state;
    /** Where this worker says whose paths its request uses ({@link DirectoryMoves}). */
    private final DirectoryMoves.Slot slot;
    final DataRequests data;
    private final EntryRequests entries;
    private final AttrRequests attrs;
    private final NameChanges changes;
    private final FileRequests files;
    private final XattrRequests xattrs;
    private final DirRequests dirs;

    JavaRequests(JavaLoop.Mount mount, OverlayFs fs, NodeTable nodes, int device, long capacity) {
        this.mount = mount;
        this.fs = fs;
        this.nodes = nodes;
        this.device = device;
        this.capacity = capacity;
        this.mem = Native.allocate((int) capacity);
        this.replies = new Replies(device, mount.debug);
        this.state = fs.requestState();
        this.slot = mount.moves.slot();
        this.data = new DataRequests(fs, device, mem, capacity);
        this.entries = new EntryRequests(fs, nodes, mem, replies);
        this.attrs = new AttrRequests(fs, nodes, mem, replies);
        this.changes = new NameChanges(mount, fs, nodes, mem, replies, slot);
        this.files = new FileRequests(mount, fs, nodes, mem, replies);
        this.xattrs = new XattrRequests(fs, nodes, mem, replies);
        this.dirs = new DirRequests(mount, fs, nodes, mem, replies);
    }

    /**
     * Answers the request of {@code length} bytes in {@link #mem}.
     *
     * @return false once the session is over (DESTROY)
     */
    boolean serve(int length) {
        if (mount.debug) {
            RequestTrace.request(mem, length);
        }
        int opcode = mem.getInt(IN_HEADER_OPCODE);
        long nodeid = mem.getLong(IN_HEADER_NODEID);
        long unique = mem.getLong(IN_HEADER_UNIQUE);
        boolean tmpfile = false;
        // the two requests libfuse 2.9 did not know, in the forms the rest is written for
        if (opcode == TMPFILE) {
            length = TmpfileRequest.asCreate(mem, length, capacity, device);
            if (length < 0) {
                return true;
            }
            opcode = CREATE;
            tmpfile = true;
        } else if (opcode == RENAME2 && !RenameRequest.isExchange(mem, length)) {
            length = RenameRequest.asRename(mem, length, device);
            if (length < 0) {
                return true;
            }
            opcode = RENAME;
        }
        state.killSgid = false;
        if (opcode == SETXATTR && mount.setxattrExtended) {
            state.killSgid = (SetxattrRequest.flags(mem, length) & SetxattrRequest.ACL_KILL_SGID) != 0;
            length = SetxattrRequest.asPlain(mem, length, device);
            if (length < 0) {
                return true;
            }
        }
        state.requestNode = nodeid;
        if (!data.served(opcode, length)) {
            int len;
            boolean entered = false;
            boolean held = false;
            NodeLocks.Held both = null;
            try {
                if (usesNodePath(opcode)) {
                    // a LINK uses its source's path too; one node's read lock is the common case
                    long second = opcode == LINK ? mem.getLong(IN) : 0;
                    while (true) {
                        if (second == 0) {
                            pin.lock = mount.locks.read(nodeid);
                            pin.node = nodeid;
                            held = true;
                        } else {
                            both = mount.locks.lock(nodeid, second, null, null);
                        }
                        DirectoryMoves.Move m = mount.moves.enter(slot, nodeid, second);
                        if (m == null) {
                            entered = true;
                            break;
                        }
                        // a directory above is being moved: wait for it without holding a node lock
                        if (held) {
                            pin.lock.unlock();
                            pin.lock = null;
                            held = false;
                        } else {
                            both.close();
                            both = null;
                        }
                        mount.moves.await(m);
                    }
                }
                if (held) {
                    state.longWait = pin;
                }
                len = answer(opcode, nodeid, unique, length, tmpfile);
            } catch (Throwable t) {
                len = fail(t, opcode, nodeid);
            } finally {
                if (entered) {
                    mount.moves.leave(slot);
                }
                if (held) {
                    state.longWait = OverlayFs.LongWait.NONE;
                    if (pin.lock != null) {
                        pin.lock.unlock();
                        pin.lock = null;
                    }
                }
                if (both != null) {
                    both.close();
                }
            }
            if (len != NO_REPLY) {
                replies.send(unique, len);
            }
        }
        try {
            if (opcode == INIT) {
                mount.afterInit();
            }
            // nearly every request leaves nothing to do after it. FORGETs need nothing here: they
            // matter to libfuse's per-name node tracking (HardLinks), which our loop has not got.
            // No link source: a LINK's reply is the source's own node (see EntryRequests.link)
            if (!OverlayFs.settled(state)) {
                AfterRequest.run(fs, state, mount.notifier, mount.late, mem, length, opcode, nodeid, 0);
            }
        } catch (RuntimeException e) {
            LOG.error("after request {} on node {}", opcode, nodeid, e);
        } finally {
            LongPaths.release();
        }
        return opcode != DESTROY;
    }

    /**
     * The node read lock of the request this worker serves, which a long wait inside it (a
     * copy-up's data copy) trades for a pin of the node ({@link NodeLocks#pin}): a name change of
     * another node sharing the lock's stripe (1 in 256) then need not wait for a copy of maybe
     * gigabytes, nor the requests queued behind that change; one of this node's still waits.
     */
    private final class NodePin implements OverlayFs.LongWait {
        long node;
        /** The read lock, null while given up. */
        java.util.concurrent.locks.Lock lock;

        @Override
        public void begin() {
            mount.locks.pin(node);
            lock.unlock();
            lock = null;
        }

        @Override
        public void end() {
            try {
                lock = mount.locks.read(node);
            } finally {
                mount.locks.unpin(node); // never left behind: a name change of the node waits for it
            }
        }
    }

    private final NodePin pin = new NodePin();

    /**
     * Whether the request acts through the path of its node (for a request by name, the
     * directory's), so that it holds the node's read lock ({@link NodeLocks}) and keeps the
     * directories above from moving ({@link DirectoryMoves}). Not: the requests that take names
     * away (they lock in {@link NameChanges}), those by handle, and the rest that name no node.
     */
    private static boolean usesNodePath(int opcode) {
        switch (opcode) {
            case INIT:
            case FORGET:
            case BATCH_FORGET:
            case UNLINK:
            case RMDIR:
            case RENAME:
            case RENAME2:
            case FSYNC:
            case FALLOCATE:
            case RELEASEDIR:
            case INTERRUPT:
            case DESTROY:
            case STATFS:
                return false;
            default:
                return true;
        }
    }

    static int fail(Throwable t, int opcode, long nodeid) {
        if (t instanceof ErrnoException) {
            return -((ErrnoException) t).errno();
        }
        if (t instanceof OutOfMemoryError) {
            // the request fails, the mount goes on (no stack trace: it would need memory)
            LOG.error("request {} on node {}: out of memory, answering ENOMEM", opcode, nodeid);
            return -Errno.ENOMEM;
        }
        LOG.error("request {} on node {}: unexpected failure, answering EIO", opcode, nodeid, t);
        return -Errno.EIO;
    }

    /** Fills the reply body; returns its length, -errno, or {@link #NO_REPLY}. */
    private int answer(int opcode, long nodeid, long unique, int length, boolean tmpfile) {
        switch (opcode) {
            case INIT:
                return InitRequest.answer(mem, replies.body, fs, mount);
            case LOOKUP:
                return entries.lookup(nodeid, unique, length);
            case FORGET:
                nodes.forget(nodeid, mem.getLong(IN));
                return NO_REPLY;
            case BATCH_FORGET: {
                long count = mem.getInt(IN) & 0xffffffffL;
                for (long i = 0; i < count && IN + 8 + 16 * (i + 1) <= length; i++) {
                    nodes.forget(mem.getLong(IN + 8 + 16 * i), mem.getLong(IN + 16 + 16 * i));
                }
                return NO_REPLY;
            }
            case GETATTR:
                return attrs.getattr(nodeid);
            case STATX:
                return attrs.statx(nodeid);
            case SETATTR:
                return attrs.setattr(nodeid);
            case READLINK:
                return entries.readlink(nodeid);
            case SYMLINK:
                return entries.symlink(nodeid, unique, length);
            case MKNOD:
                return entries.mknod(nodeid, unique, length);
            case MKDIR:
                return entries.mkdir(nodeid, unique, length);
            case UNLINK:
                return changes.unlink(nodeid, length);
            case RMDIR:
                return changes.rmdir(nodeid, length);
            case RENAME:
                return changes.rename(nodeid, length);
            case RENAME2: // RENAME_EXCHANGE: the others were made RENAMEs or refused above
                return changes.exchange(nodeid, length);
            case LINK:
                return entries.link(nodeid, unique, length);
            case OPEN:
                return files.open(nodeid, unique);
            case CREATE:
                return files.create(nodeid, unique, length, tmpfile);
            case STATFS:
                return attrs.statfs();
            case RELEASE:
                return files.release(nodeid);
            case FSYNC:
                return files.fsync();
            case FALLOCATE:
                return files.fallocate();
            case SETXATTR:
                return xattrs.setxattr(nodeid, length);
            case GETXATTR:
            case LISTXATTR:
                return xattrs.read(opcode, nodeid, length);
            case REMOVEXATTR:
                return xattrs.removexattr(nodeid, length);
            case OPENDIR:
                return dirs.opendir(nodeid);
            case READDIR:
            case READDIRPLUS:
                return dirs.readdir(nodeid, unique, opcode == READDIRPLUS);
            case RELEASEDIR:
                return dirs.releasedir();
            case FSYNCDIR:
                return dirs.fsyncdir(nodeid);
            case ACCESS:
                return attrs.access(nodeid);
            case IOCTL:
                return files.ioctl(nodeid, length);
            case INTERRUPT:
                // nothing here can be interrupted (local pread/pwrite, no intr): the kernel stops
                // sending INTERRUPTs for the mount's life once one is answered ENOSYS
                return -Errno.ENOSYS;
            case DESTROY:
                return 0;
            default:
                // FLUSH (the kernel stops sending it), locks (not negotiated: the kernel keeps them
                // locally), POLL, BMAP, SYNCFS...: what libfuse 2.9 answered us
                return -Errno.ENOSYS;
        }
    }

}
