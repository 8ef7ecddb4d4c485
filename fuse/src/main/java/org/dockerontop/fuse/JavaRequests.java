package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_DIRECT_IO;
import static org.dockerontop.fuse.FuseAbi.FOPEN_KEEP_CACHE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_CACHE_DIR;
import static org.dockerontop.fuse.FuseAbi.FOPEN_PASSTHROUGH;
import static org.dockerontop.fuse.FuseAbi.FUSE_READDIRPLUS_FLAGS;
import static org.dockerontop.fuse.FuseAbi.FUSE_MAX_PAGES;
import static org.dockerontop.fuse.FuseAbi.FUSE_SETXATTR_EXT;
import static org.dockerontop.fuse.FuseAbi.FUSE_INIT_EXT;
import static org.dockerontop.fuse.FuseAbi.FUSE_PASSTHROUGH2;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UNIQUE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

import java.nio.charset.StandardCharsets;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;
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
 */
final class JavaRequests {
    private static final Logger LOG = LoggerFactory.getLogger(JavaRequests.class);
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

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

    /**
     * The largest reply body written from {@link #out}: an xattr value or list (XATTR_SIZE_MAX),
     * a listing (the kernel asks for a page at a time), a link target. READ replies are built in
     * the request buffer ({@link DataRequests}).
     */
    private static final int REPLY_BODY = 64 * 1024 + 4096;

    /** No reply is written (FORGET, BATCH_FORGET) or one was written already. */
    private static final int NO_REPLY = Integer.MIN_VALUE;

    private static final long TIMEOUT = 60;
    private static final int ATTR_SIZE = 88;
    private static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
    /** fuse_statx_out: attr_valid, attr_valid_nsec, flags, spare[2], then a fuse_statx (= struct statx). */
    private static final int STATX_OUT_SIZE = 32 + 256;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int OPEN_OUT_SIZE = 16;
    private static final int IOCTL_OUT_SIZE = 16;
    private static final int INIT_OUT_SIZE = 64;
    private static final int KSTATFS_SIZE = 80;


    /** INIT flags. */
    private static final int FUSE_ASYNC_READ = 1;
    private static final int FUSE_ATOMIC_O_TRUNC = 1 << 3;
    private static final int FUSE_EXPORT_SUPPORT = 1 << 4;
    private static final int FUSE_BIG_WRITES = 1 << 5;
    /** What libfuse 2.9 asked for with our options (its INIT reply on this machine: 0x39). */
    private static final int LIBFUSE_FLAGS = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES;

    /** fuse_setattr_in.valid bits. */
    private static final int FATTR_MODE = 1;
    private static final int FATTR_UID = 1 << 1;
    private static final int FATTR_GID = 1 << 2;
    private static final int FATTR_SIZE = 1 << 3;
    private static final int FATTR_ATIME = 1 << 4;
    private static final int FATTR_MTIME = 1 << 5;
    private static final int FATTR_FH = 1 << 6;
    private static final int FATTR_ATIME_NOW = 1 << 7;
    private static final int FATTR_MTIME_NOW = 1 << 8;
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;

    /** fuse_in_header: uid, gid. */
    private static final int IN_UID = 24;
    private static final int IN_GID = 28;
    private static final int IN = IN_HEADER_SIZE;

    private final JavaLoop.Mount mount;
    private final OverlayFs fs;
    private final FileAttrs fileAttrs;
    private final NodeTable nodes;
    private final int device;
    private final long capacity;
    /** The request buffer, for this worker's life. */
    final Pointer mem;
    /** The reply buffer: header, then the body. */
    private final Pointer out;
    private final Pointer body;
    private final Pointer st = Native.allocate(Stat.SIZE);
    private final Pointer times = Native.allocate(32);
    private final Pointer sx = Native.allocate(Native.STATX_SIZE);
    private final Pointer statvfs = Native.allocate(128);
    private final OverlayFs.Scratch state;
    /** Where this worker says whose paths its request uses ({@link DirectoryMoves}). */
    private final DirectoryMoves.Slot slot;
    final DataRequests data;
    /** Node ids of the READDIRPLUS reply being built (the lookups it hands the kernel). */
    private long[] linked = new long[64];
    private int linkedCount;

    JavaRequests(JavaLoop.Mount mount, OverlayFs fs, NodeTable nodes, int device, long capacity) {
        this.mount = mount;
        this.fs = fs;
        this.fileAttrs = new FileAttrs(fs);
        this.nodes = nodes;
        this.device = device;
        this.capacity = capacity;
        this.mem = Native.allocate((int) capacity);
        this.out = Native.allocate(OUT_HEADER_SIZE + REPLY_BODY);
        this.body = out.slice(OUT_HEADER_SIZE);
        this.state = fs.requestState();
        this.slot = mount.moves.slot();
        this.data = new DataRequests(fs, device, mem, capacity);
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
            java.util.concurrent.locks.Lock held = null;
            NodeLocks.Held both = null;
            try {
                if (usesNodePath(opcode)) {
                    // a LINK uses its source's path too; one node's read lock is the common case
                    long second = opcode == LINK ? mem.getLong(IN) : 0;
                    while (true) {
                        if (second == 0) {
                            held = mount.locks.read(nodeid);
                        } else {
                            both = mount.locks.lock(nodeid, second, null, null);
                        }
                        DirectoryMoves.Move m = mount.moves.enter(slot, nodeid, second);
                        if (m == null) {
                            entered = true;
                            break;
                        }
                        // a directory above is being moved: wait for it without holding a node lock
                        if (held != null) {
                            held.unlock();
                            held = null;
                        } else {
                            both.close();
                            both = null;
                        }
                        mount.moves.await(m);
                    }
                }
                len = answer(opcode, nodeid, unique, length, tmpfile);
            } catch (Throwable t) {
                len = fail(t, opcode, nodeid);
            } finally {
                if (entered) {
                    mount.moves.leave(slot);
                }
                if (held != null) {
                    held.unlock();
                }
                if (both != null) {
                    both.close();
                }
            }
            if (len != NO_REPLY) {
                reply(unique, len);
            }
        }
        try {
            if (opcode == INIT) {
                mount.afterInit();
            }
            // no link source: a LINK's reply is the source's own node (see link)
            AfterRequest.run(fs, state, mount.notifier, mount.late, mem, length, opcode, nodeid, 0);
        } catch (RuntimeException e) {
            LOG.error("after request {} on node {}", opcode, nodeid, e);
        } finally {
            LongPaths.release();
        }
        return opcode != DESTROY;
    }

    /**
     * Whether the request acts through the path of its node (for a request by name, the
     * directory's), so that it holds the node's read lock ({@link NodeLocks}) and keeps the
     * directories above from moving ({@link DirectoryMoves}). Not: the requests that take names
     * away (they lock in {@link #changing}), those by handle, and the rest that name no node.
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

    /** Writes the reply: {@code len} bytes of body, or the error {@code len} (negative). 0 or -errno of the write. */
    private int reply(long unique, int len) {
        int error = 0;
        if (len < 0) {
            error = len;
            len = 0;
        }
        FuseAbi.outHeader(out, OUT_HEADER_SIZE + len, error, unique);
        if (mount.debug) {
            RequestTrace.reply(unique, error, OUT_HEADER_SIZE + len);
        }
        long n = SplicedReads.SYS.write(device, out, OUT_HEADER_SIZE + len);
        if (n < 0) {
            int e = Native.errno();
            if (e != Errno.ENOENT && e != Errno.ENODEV) {
                LOG.error("writing a reply to /dev/fuse failed: {}", Errno.name(e));
            }
            return -e;
        }
        return 0;
    }

    /** Fills the reply body; returns its length, -errno, or {@link #NO_REPLY}. */
    private int answer(int opcode, long nodeid, long unique, int length, boolean tmpfile) {
        switch (opcode) {
            case INIT:
                return init();
            case LOOKUP:
                return lookup(nodeid, unique, name(IN, length));
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
                return getattr(nodeid);
            case STATX:
                return statx(nodeid);
            case SETATTR:
                return setattr(nodeid);
            case READLINK: {
                fs.readlink(nodes.path(nodeid), body, 4097);
                int n = 0;
                while (body.getByte(n) != 0) {
                    n++;
                }
                return n;
            }
            case SYMLINK: {
                int nameEnd = nul(IN, length);
                String name = string(IN, nameEnd);
                String target = name(nameEnd + 1, length);
                String path = nodes.childPath(nodeid, name);
                fs.symlink(target, path, mem.getInt(IN_UID), mem.getInt(IN_GID));
                return sendEntry(unique, entry(nodeid, name, path, null, unique));
            }
            case MKNOD:
                return mknod(nodeid, unique, length);
            case MKDIR: {
                String name = name(IN + 8, length);
                String path = nodes.childPath(nodeid, name);
                fs.mkdir(path, mem.getInt(IN), mem.getInt(IN + 4), mem.getInt(IN_UID), mem.getInt(IN_GID));
                return sendEntry(unique, entry(nodeid, name, path, null, unique));
            }
            case UNLINK:
                return unlink(nodeid, name(IN, length));
            case RMDIR: {
                String name = name(IN, length);
                try (Changing c = changing(nodeid, 0, nodes.find(nodeid, name), null)) {
                    fs.rmdir(nodes.childPath(nodeid, name));
                    nodes.removed(nodeid, name);
                }
                return 0;
            }
            case RENAME:
                return rename(nodeid, length);
            case RENAME2: // RENAME_EXCHANGE: the others were made RENAMEs or refused above
                return exchange(nodeid, length);
            case LINK:
                return link(nodeid, unique, length);
            case OPEN:
                return open(nodeid, unique);
            case CREATE:
                return create(nodeid, unique, length, tmpfile);
            case STATFS:
                return statfs();
            case RELEASE:
                return release(nodeid);
            case FSYNC: {
                Handle h = fs.handles().get(mem.getLong(IN));
                if (h == null) {
                    return -Errno.EBADF;
                }
                fs.fsync(h, (mem.getInt(IN + 8) & 1) != 0);
                return 0;
            }
            case FALLOCATE: {
                Handle h = fs.handles().get(mem.getLong(IN));
                if (h == null) {
                    return -Errno.EBADF;
                }
                fs.fallocate(h, mem.getInt(IN + 24), mem.getLong(IN + 8), mem.getLong(IN + 16));
                return 0;
            }
            case SETXATTR: {
                int size = mem.getInt(IN);
                int flags = mem.getInt(IN + 4);
                int nameEnd = nul(IN + 8, length);
                fs.setxattr(nodes.path(nodeid), string(IN + 8, nameEnd), mem.slice(nameEnd + 1), size, flags);
                return 0;
            }
            case GETXATTR:
            case LISTXATTR:
                return xattrRead(opcode, nodeid, length);
            case REMOVEXATTR:
                fs.removexattr(nodes.path(nodeid), name(IN, length));
                return 0;
            case OPENDIR:
                return opendir(nodeid);
            case READDIR:
            case READDIRPLUS:
                return readdir(nodeid, unique, opcode == READDIRPLUS);
            case RELEASEDIR:
                mount.dirs.remove(mem.getLong(IN));
                return 0;
            case FSYNCDIR:
                fs.fsyncdir(nodes.path(nodeid));
                return 0;
            case ACCESS:
                fs.getattr(nodes.path(nodeid), st);
                return 0;
            case IOCTL:
                return ioctl(nodeid, length);
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

    // ---------------------------------------------------------------- INIT

    private int init() {
        int major = mem.getInt(IN);
        int minor = mem.getInt(IN + 4);
        int readahead = mem.getInt(IN + 8);
        int flags = mem.getInt(IN + 12);
        int flags2 = (flags & FUSE_INIT_EXT) != 0 ? mem.getInt(IN + 16) : 0;
        body.setMemory(0, INIT_OUT_SIZE, (byte) 0);
        body.putInt(0, 7);
        if (major != 7) {
            // the kernel sends INIT again with ours if it is newer; an older one we cannot serve
            return major > 7 ? INIT_OUT_SIZE : -71 /* EPROTO */;
        }
        int want = flags & LIBFUSE_FLAGS;
        boolean maxPages = (flags & FUSE_MAX_PAGES) != 0;
        if (maxPages) {
            want |= FUSE_MAX_PAGES;
        }
        want |= flags & FUSE_READDIRPLUS_FLAGS;
        // before the reply: the kernel may send the first create the moment it has it
        int aclFlags = fs.acls().grant(flags);
        mount.setxattrExtended = (aclFlags & FUSE_SETXATTR_EXT) != 0;
        want |= aclFlags;
        int want2 = 0;
        Passthrough io = mount.passthrough;
        if ((flags2 & FUSE_PASSTHROUGH2) != 0 && io.policy() == Passthrough.Policy.ON) {
            want |= FUSE_INIT_EXT;
            want2 |= FUSE_PASSTHROUGH2;
            body.putInt(36, io.maxStackDepth());
        }
        body.putInt(4, Math.min(minor, KernelReplyPatch.RENAME2_MINOR));
        body.putInt(8, readahead);
        body.putInt(12, want);
        body.putInt(20, maxPages ? KernelReplyPatch.MAX_WRITE : 131072);
        if (maxPages) {
            body.putShort(28, (short) KernelReplyPatch.MAX_PAGES);
        }
        body.putInt(32, want2);
        mount.maxPagesGranted = maxPages;
        return INIT_OUT_SIZE;
    }

    // ---------------------------------------------------------------- entries

    /** The attributes in {@link #st} as a fuse_attr at {@code off} of {@code o}. */
    private void attr(Pointer o, int off) {
        o.putLong(off, st.getLong(8)); // ino: use_ino
        o.putLong(off + 8, st.getLong(48)); // size
        o.putLong(off + 16, st.getLong(64)); // blocks
        o.putLong(off + 24, st.getLong(72)); // atime
        o.putLong(off + 32, st.getLong(88)); // mtime
        o.putLong(off + 40, st.getLong(104)); // ctime
        o.putInt(off + 48, (int) st.getLong(80));
        o.putInt(off + 52, (int) st.getLong(96));
        o.putInt(off + 56, (int) st.getLong(112));
        o.putInt(off + 60, st.getInt(24)); // mode
        o.putInt(off + 64, (int) st.getLong(16)); // nlink
        o.putInt(off + 68, st.getInt(28)); // uid
        o.putInt(off + 72, st.getInt(32)); // gid
        o.putInt(off + 76, (int) st.getLong(40)); // rdev
        o.putInt(off + 80, (int) st.getLong(56)); // blksize
        o.putInt(off + 84, 0);
    }

    /** A fuse_entry_out for {@code node} with the attributes in {@link #st}, at {@code off} of {@code o}. */
    private void entryOut(Pointer o, int off, long node) {
        o.putLong(off, node);
        o.putLong(off + 8, 0); // generation: ids are never reused
        o.putLong(off + 16, TIMEOUT);
        o.putLong(off + 24, TIMEOUT);
        o.putInt(off + 32, 0);
        o.putInt(off + 36, 0);
        attr(o, off + 40);
    }

    /**
     * libfuse's {@code lookup_path}: the attributes of {@code path} (through the handle if there is
     * one) and one more lookup of its node, as an entry reply body.
     */
    private int entry(long parent, String name, String path, Handle h, long unique) {
        if (h != null) {
            fs.fgetattr(path, st, h);
        } else {
            fs.getattr(path, st);
        }
        long node = nodes.lookedUp(parent, name, fs.sharedInode(), Stat.isDir(st));
        entryOut(body, 0, node);
        return ENTRY_OUT_SIZE;
    }

    /** Writes an entry reply now; if the kernel no longer waits for it, gives its lookup back. */
    private int sendEntry(long unique, int len) {
        if (len < 0) {
            return len;
        }
        long node = body.getLong(0);
        if (reply(unique, len) == -Errno.ENOENT && node != 0) {
            nodes.forget(node, 1);
            fs.forgotten(node, 1);
        }
        return NO_REPLY;
    }

    /**
     * No {@link OverlayFs#beginLookup}/{@link OverlayFs#lookupReplied}/{@link OverlayFs#endLookup}
     * here: what they record (names of multi-linked files, nodes of lower directories) is for
     * libfuse's loop, whose nodes are per name and not the server's to look up; ours shares nodes
     * and finds them in {@link NodeTable} ({@link OverlayFs#oneNodePerUpperInode}, {@link OverlayFs#nodeIds}).
     */
    private int lookup(long parent, long unique, String name) {
        String path;
        if (name.equals(".") || name.equals("..")) {
            // only asked of an exported mount (EXPORT_SUPPORT, as libfuse asked for it)
            NodeTable.Node p = nodes.get(parent);
            if (p == null) {
                return -Errno.ENOENT;
            }
            NodeTable.Node n = name.equals("..") && p.parent != null ? p.parent : p;
            path = nodes.path(n.id);
            fs.getattr(path, st);
            synchronized (nodes) {
                n.lookups++;
            }
            entryOut(body, 0, n.id);
            return sendEntry(unique, ENTRY_OUT_SIZE);
        }
        path = nodes.childPath(parent, name);
        try {
            fs.getattr(path, st);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            // a negative entry, cached for negative_timeout
            body.setMemory(0, ENTRY_OUT_SIZE, (byte) 0);
            body.putLong(16, TIMEOUT);
            return ENTRY_OUT_SIZE;
        }
        long node = nodes.lookedUp(parent, name, fs.sharedInode(), Stat.isDir(st));
        entryOut(body, 0, node);
        return sendEntry(unique, ENTRY_OUT_SIZE);
    }

    private int getattr(long nodeid) {
        statNode(nodeid);
        return attrReply();
    }

    /**
     * Fills {@link #st} for GETATTR or STATX, whose requests begin alike (getattr_flags, a
     * padding word, fh): through the open file with FUSE_GETATTR_FH, else by path.
     *
     * @return the node's path; null if it has none and the open file answered
     * @throws ErrnoException ENOENT if the node has neither a path nor (with the flag) a known handle
     */
    private String statNode(long nodeid) {
        if (!byHandle()) {
            String path = nodes.path(nodeid);
            fs.getattr(path, st);
            return path;
        }
        Handle h = requestHandle();
        String path = nodes.pathOrNull(nodeid);
        if (path == null && h == null) {
            throw new ErrnoException(Errno.ENOENT, "node " + nodeid + " has no path and no open file");
        }
        fs.fgetattr(path, st, h);
        return path;
    }

    /** FUSE_GETATTR_FH in a GETATTR or STATX request: {@link #requestHandle} names the open file. */
    private boolean byHandle() {
        return (mem.getInt(IN) & 1) != 0;
    }

    /** The open file a GETATTR or STATX request names, or null (none named, or not known). */
    private Handle requestHandle() {
        return byHandle() ? fs.handles().get(mem.getLong(IN + 8)) : null;
    }

    /**
     * FUSE_STATX, which the kernel sends (whatever the protocol minor) when a caller asks for the
     * birth time: GETATTR's attributes plus the birth time the kernel overlay would report
     * ({@link OverlayFs#birthTime}). libfuse 2 answered ENOSYS, after which the kernel reported
     * none for the mount's life.
     */
    private int statx(long nodeid) {
        String path = statNode(nodeid);
        boolean born = fs.birthTime(path, requestHandle(), sx);
        body.setMemory(0, STATX_OUT_SIZE, (byte) 0);
        body.putLong(0, TIMEOUT);
        int x = 32; // the fuse_statx, laid out as struct statx
        body.putInt(x, STATX_BASIC_STATS | (born ? Native.STATX_BTIME : 0));
        body.putInt(x + 4, (int) st.getLong(56)); // blksize
        body.putInt(x + 16, (int) st.getLong(16)); // nlink
        body.putInt(x + 20, st.getInt(28)); // uid
        body.putInt(x + 24, st.getInt(32)); // gid
        body.putShort(x + 28, (short) st.getInt(24)); // mode
        body.putLong(x + 32, st.getLong(8)); // ino
        body.putLong(x + 40, st.getLong(48)); // size
        body.putLong(x + 48, st.getLong(64)); // blocks
        statxTime(x + 64, st.getLong(72), st.getLong(80)); // atime
        if (born) {
            statxTime(x + 80, sx.getLong(Native.STATX_OFF_BTIME), sx.getInt(Native.STATX_OFF_BTIME + 8));
        }
        statxTime(x + 96, st.getLong(104), st.getLong(112)); // ctime
        statxTime(x + 112, st.getLong(88), st.getLong(96)); // mtime
        long rdev = st.getLong(40); // glibc's dev_t encoding
        body.putInt(x + 128, (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL)));
        body.putInt(x + 132, (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)));
        return STATX_OUT_SIZE;
    }

    private void statxTime(int off, long sec, long nsec) {
        body.putLong(off, sec);
        body.putInt(off + 8, (int) nsec);
    }

    private int attrReply() {
        body.putLong(0, TIMEOUT);
        body.putInt(8, 0);
        body.putInt(12, 0);
        attr(body, 16);
        return ATTR_OUT_SIZE;
    }

    /**
     * In libfuse 2.9's order: mode, owner, size, times, then the attributes as they are now. One
     * difference: a SETATTR that sets no attribute (the kernel's for chown(f, -1, -1), which needs
     * no permission) copies the entry up and changes its ctime, as the kernel overlay does (it
     * passes the change on to the upper entry); libfuse 2 called nothing for it.
     */
    private int setattr(long nodeid) {
        int valid = mem.getInt(IN);
        Handle h = (valid & FATTR_FH) != 0 ? fs.handles().get(mem.getLong(IN + 8)) : null;
        String path = h != null ? nodes.pathOrNull(nodeid) : nodes.path(nodeid);
        boolean byPath = (valid & (FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_ATIME | FATTR_MTIME)) != 0
                || ((valid & FATTR_SIZE) != 0 && h == null);
        if (path == null && (byPath || h == null)) {
            return -Errno.ENOENT;
        }
        if ((valid & (FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_SIZE | FATTR_ATIME | FATTR_MTIME)) == 0
                && path != null) {
            fs.chown(path, -1, -1); // changes the ctime alone
        }
        if ((valid & FATTR_MODE) != 0) {
            fs.chmod(path, mem.getInt(IN + 68));
        }
        if ((valid & (FATTR_UID | FATTR_GID)) != 0) {
            fs.chown(path, (valid & FATTR_UID) != 0 ? mem.getInt(IN + 76) : -1,
                    (valid & FATTR_GID) != 0 ? mem.getInt(IN + 80) : -1);
        }
        if ((valid & FATTR_SIZE) != 0) {
            if (h != null) {
                fs.ftruncate(path, mem.getLong(IN + 16), h);
            } else {
                fs.truncate(path, mem.getLong(IN + 16));
            }
        }
        if ((valid & (FATTR_ATIME | FATTR_MTIME)) != 0) {
            time(valid, FATTR_ATIME, FATTR_ATIME_NOW, 0, mem.getLong(IN + 32), mem.getInt(IN + 56));
            time(valid, FATTR_MTIME, FATTR_MTIME_NOW, 16, mem.getLong(IN + 40), mem.getInt(IN + 60));
            fs.utimens(path, times);
        }
        if (h != null) {
            fs.fgetattr(path, st, h);
        } else {
            fs.getattr(path, st);
        }
        return attrReply();
    }

    private void time(int valid, int set, int now, int off, long sec, int nsec) {
        times.putLong(off, 0);
        if ((valid & now) != 0) {
            times.putLong(off + 8, UTIME_NOW);
        } else if ((valid & set) != 0) {
            times.putLong(off, sec);
            times.putLong(off + 8, nsec & 0xffffffffL);
        } else {
            times.putLong(off + 8, UTIME_OMIT);
        }
    }

    private int mknod(long parent, long unique, int length) {
        int mode = mem.getInt(IN);
        long rdev = mem.getInt(IN + 4) & 0xffffffffL;
        int umask = mem.getInt(IN + 8);
        String name = name(IN + 16, length);
        String path = nodes.childPath(parent, name);
        int uid = mem.getInt(IN_UID);
        int gid = mem.getInt(IN_GID);
        if ((mode & Stat.S_IFMT) == Stat.S_IFREG) {
            // as libfuse 2.9: a regular file by create, and closed again
            long fh = fs.create(path, mode, umask, Native.O_CREAT | Native.O_EXCL | Native.O_WRONLY, uid, gid);
            try {
                return sendEntry(unique, entry(parent, name, path, fs.handles().get(fh), unique));
            } finally {
                fs.release(fh);
            }
        }
        fs.mknod(path, mode, umask, rdev, uid, gid);
        return sendEntry(unique, entry(parent, name, path, null, unique));
    }

    /**
     * What a request that changes names holds while it does: the write locks of the nodes whose
     * names it changes ({@code a}, {@code b}: null where no node has the name), the read locks of
     * the directories it names them in, its slot for those directories, and, if it moves a
     * directory with nodes under it, the {@link DirectoryMoves} move, once every request under it
     * has ended. Closed once the table has the new names.
     */
    private final class Changing implements AutoCloseable {
        private final NodeLocks.Held locks;
        private final DirectoryMoves.Move move;

        Changing(NodeLocks.Held locks, DirectoryMoves.Move move) {
            this.locks = locks;
            this.move = move;
        }

        @Override
        public void close() {
            mount.moves.leave(slot);
            mount.moves.end(move);
            locks.close();
        }
    }

    /**
     * Takes what a {@link Changing} holds, in {@link DirectoryMoves}'s order. A directory move
     * waits for the requests on and below its nodes before it takes their node locks, so that
     * the wait (for a copy-up, maybe) holds no stripe that unrelated nodes share.
     */
    private Changing changing(long parentA, long parentB, NodeTable.Node a, NodeTable.Node b) {
        long pb = parentB == parentA ? 0 : parentB;
        while (true) {
            DirectoryMoves.Move move = mount.moves.begin(a, b);
            if (move != null) {
                // one move at a time: nothing else moves the parents, and requests naming
                // anything in a or b now wait for the move (enter), so no node is named in them
                mount.moves.enter(slot, parentA, pb);
                mount.moves.drain(move, slot);
                NodeLocks.Held locks;
                try {
                    locks = mount.locks.lock(parentA, pb, a, b);
                } catch (RuntimeException | Error e) {
                    mount.moves.leave(slot);
                    mount.moves.end(move);
                    throw e;
                }
                return new Changing(locks, move);
            }
            NodeLocks.Held locks = mount.locks.lock(parentA, pb, a, b);
            if (mount.moves.isMove(a, b)) {
                locks.close(); // a node was named in a or b meanwhile: a move after all
                continue;
            }
            DirectoryMoves.Move other = mount.moves.enter(slot, parentA, pb);
            if (other == null) {
                return new Changing(locks, null);
            }
            // a directory above the parents is being moved
            locks.close();
            mount.moves.await(other);
        }
    }

    private int unlink(long parent, String name) {
        try (Changing c = changing(parent, 0, nodes.find(parent, name), null)) {
            String path = nodes.childPath(parent, name);
            if (nodes.isOpenUnderOnlyThisName(parent, name)) {
                hide(parent, name, path, false);
                return 0;
            }
            fs.unlink(path);
            nodes.removed(parent, name);
            return 0;
        }
    }

    /**
     * libfuse's {@code hide_node}: an open file losing its name is renamed to a hidden one instead
     * (OverlayFs keeps it in the workdir), and removed at its last release.
     */
    private void hide(long parent, String name, String path, boolean replaced) {
        NodeTable.Node n = nodes.find(parent, name);
        if (n == null) {
            throw new ErrnoException(Errno.ENOENT, "hide " + path);
        }
        String hidden = null;
        for (int tries = 0; tries < 10 && hidden == null; tries++) {
            String candidate = nodes.hiddenName(n.id);
            if (nodes.find(parent, candidate) != null) {
                continue;
            }
            try {
                fs.getattr(nodes.childPath(parent, candidate), st);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENOENT) {
                    hidden = candidate;
                }
            }
        }
        if (hidden == null) {
            throw new ErrnoException(Errno.EBUSY, "no hidden name for " + path);
        }
        String hiddenPath = nodes.childPath(parent, hidden);
        fs.rename(path, hiddenPath);
        nodes.renamed(parent, name, parent, hidden);
        nodes.markHidden(parent, hidden, hiddenPath, replaced);
    }

    private int rename(long oldParent, int length) {
        long newParent = mem.getLong(IN);
        int oldEnd = nul(IN + 8, length);
        String oldName = string(IN + 8, oldEnd);
        String newName = name(oldEnd + 1, length);
        try (Changing c = changing(oldParent, newParent, nodes.find(oldParent, oldName), nodes.find(newParent, newName))) {
            String from = nodes.childPath(oldParent, oldName);
            String to = nodes.childPath(newParent, newName);
            if (nodes.isOpenUnderOnlyThisName(newParent, newName)) {
                hide(newParent, newName, to, true);
            }
            fs.rename(from, to);
            nodes.renamed(oldParent, oldName, newParent, newName);
            return 0;
        }
    }

    /**
     * RENAME2 with RENAME_EXCHANGE: the two entries swap (see {@link OverlayFs#exchange}), and so
     * do their nodes, as the kernel swaps the two dentries.
     */
    private int exchange(long oldParent, int length) {
        long newParent = mem.getLong(IN);
        int oldEnd = nul(IN + 16, length); // fuse_rename2_in: newdir, flags, padding, the names
        String oldName = string(IN + 16, oldEnd);
        String newName = name(oldEnd + 1, length);
        NodeTable.Node a = nodes.find(oldParent, oldName);
        NodeTable.Node b = nodes.find(newParent, newName);
        int copied;
        try (Changing c = changing(oldParent, newParent, a, b)) {
            copied = fs.exchange(nodes.childPath(oldParent, oldName), nodes.childPath(newParent, newName));
            nodes.exchanged(oldParent, oldName, newParent, newName);
        }
        // a file copied up on the way reports another inode number (and link count) than the
        // kernel cached for its node: drop those attributes (no directory lock taken, so before
        // the reply is fine; AfterRequest does this for a RENAME by name, not knowing the node)
        if ((copied & OverlayFs.EXCHANGE_COPIED_A) != 0 && a != null) {
            mount.notifier.invalInode(a.id, -1, 0);
        }
        if ((copied & OverlayFs.EXCHANGE_COPIED_B) != 0 && b != null) {
            mount.notifier.invalInode(b.id, -1, 0);
        }
        return 0;
    }

    /**
     * The new name is answered with the source's node (a lowlevel filesystem's link), whose
     * attributes the reply brings up to date: the kernel keeps one inode for both names, as the
     * kernel overlay does once the file is in the upper layer.
     */
    private int link(long newParent, long unique, int length) {
        long source = mem.getLong(IN);
        String name = name(IN + 8, length);
        String from = nodes.path(source);
        String to = nodes.childPath(newParent, name);
        fs.link(from, to);
        fs.getattr(to, st);
        long node = nodes.linked(source, newParent, name, fs.sharedInode());
        entryOut(body, 0, node);
        return sendEntry(unique, ENTRY_OUT_SIZE);
    }

    // ---------------------------------------------------------------- files

    private int open(long nodeid, long unique) {
        int flags = mem.getInt(IN);
        // counted before the path is taken: a last RELEASE of a hidden node (an open racing a
        // rename over its name) then leaves its file for this open, or has already made the
        // node stale, which nodes.path answers
        nodes.opened(nodeid);
        String path;
        long fh;
        try {
            path = nodes.path(nodeid);
            fh = fs.open(path, flags);
        } catch (RuntimeException e) {
            closed(nodeid);
            throw e;
        }
        body.putLong(0, fh);
        body.putInt(8, FOPEN_KEEP_CACHE); // kernel_cache
        body.putInt(12, 0);
        decideIo(nodeid, body, true);
        if (reply(unique, OPEN_OUT_SIZE) == -Errno.ENOENT) {
            // the open was interrupted: the kernel will never release it
            release(nodeid, fh, path);
        }
        return NO_REPLY;
    }

    /** How the kernel serves the file an OPEN or CREATE reply opens ({@code open}: its fuse_open_out). */
    private void decideIo(long node, Pointer open, boolean mayPass) {
        int io = mount.passthrough.opened(node, open.getLong(0), mayPass);
        if (io > 0) {
            // the kernel fails a passthrough open that also asks to keep the cache (see KernelReplyPatch)
            open.putInt(8, (open.getInt(8) & ~FOPEN_KEEP_CACHE) | FOPEN_PASSTHROUGH);
            open.putInt(12, io);
        } else if (io == Passthrough.DIRECT_IO) {
            open.putInt(8, open.getInt(8) | FOPEN_DIRECT_IO);
        }
    }

    private int create(long parent, long unique, int length, boolean tmpfile) {
        int flags = mem.getInt(IN);
        int mode = mem.getInt(IN + 4);
        int umask = mem.getInt(IN + 8);
        String name = name(IN + 16, length);
        String path = nodes.childPath(parent, name);
        long fh = fs.create(path, mode, umask, flags, mem.getInt(IN_UID), mem.getInt(IN_GID));
        long node;
        try {
            Handle h = fs.handles().get(fh);
            fs.fgetattr(path, st, h);
            if (!Stat.isReg(st)) {
                throw new ErrnoException(Errno.EIO, "created " + path + " is not a regular file");
            }
            node = nodes.lookedUp(parent, name, fs.sharedInode(), Stat.isDir(st));
        } catch (RuntimeException e) {
            fs.release(fh);
            throw e;
        }
        nodes.opened(node);
        entryOut(body, 0, node);
        Pointer open = body.slice(ENTRY_OUT_SIZE);
        open.putLong(0, fh);
        open.putInt(8, 0);
        open.putInt(12, 0);
        // an O_TMPFILE file stays with the daemon (UnnamedFiles serves it by its own descriptor),
        // but is counted (see KernelReplyPatch)
        decideIo(node, open, !tmpfile);
        if (reply(unique, ENTRY_OUT_SIZE + OPEN_OUT_SIZE) == -Errno.ENOENT) {
            release(node, fh, path);
            nodes.forget(node, 1);
            fs.forgotten(node, 1);
        }
        return NO_REPLY;
    }

    private int release(long nodeid) {
        long fh = mem.getLong(IN);
        release(nodeid, fh, nodes.pathOrNull(nodeid));
        return 0;
    }

    /** libfuse's {@code fuse_do_release}: closes, and removes a hidden name at its last release. */
    private void release(long nodeid, long fh, String path) {
        try {
            fs.release(fh);
        } finally {
            closed(nodeid);
        }
    }

    /** One open file of node {@code nodeid} less: at the last, its hidden name goes. */
    private void closed(long nodeid) {
        String hidden = nodes.released(nodeid);
        if (hidden != null) {
            try {
                fs.unlink(hidden);
            } catch (ErrnoException e) {
                LOG.debug("removing hidden {}: {}", hidden, Errno.name(e.errno()));
            }
        }
    }

    /**
     * FUSE_IOCTL: the kernel's fileattr requests ({@code lsattr}, {@code chattr}), which it sends
     * on a file it opened for them, are answered by {@link FileAttrs}; any other ioctl is not a
     * regular file's or a directory's (a terminal's: every isatty() of a stdio stream): ENOTTY,
     * as from the kernel overlay.
     */
    private int ioctl(long nodeid, int length) {
        int cmd = mem.getInt(IN + 12); // fuse_ioctl_in: fh, flags, cmd, arg, in_size, out_size, then the data
        if (!FileAttrs.handles(cmd)) {
            return -Errno.ENOTTY;
        }
        int size = FileAttrs.size(cmd);
        boolean set = cmd == FileAttrs.FS_IOC_SETFLAGS || cmd == FileAttrs.FS_IOC_FSSETXATTR;
        Pointer arg = body.slice(IOCTL_OUT_SIZE);
        arg.setMemory(0, FileAttrs.FSXATTR_SIZE, (byte) 0);
        if (set) {
            if (mem.getInt(IN + 24) != size || IN + 32 + size > length) {
                return -Errno.EINVAL;
            }
            byte[] in = new byte[size];
            mem.get(IN + 32, in, 0, size);
            arg.put(0, in, 0, size);
        } else if (mem.getInt(IN + 28) != size) {
            return -Errno.EINVAL;
        }
        fileAttrs.answer(nodes.path(nodeid), cmd, arg);
        body.setMemory(0, IOCTL_OUT_SIZE, (byte) 0); // result 0, no flags, no iovecs
        return IOCTL_OUT_SIZE + (set ? 0 : size);
    }

    private int statfs() {
        fs.statfs(statvfs);
        body.putLong(0, statvfs.getLong(16)); // blocks
        body.putLong(8, statvfs.getLong(24)); // bfree
        body.putLong(16, statvfs.getLong(32)); // bavail
        body.putLong(24, statvfs.getLong(40)); // files
        body.putLong(32, statvfs.getLong(48)); // ffree
        body.putInt(40, (int) statvfs.getLong(0)); // bsize
        body.putInt(44, (int) statvfs.getLong(80)); // namelen
        body.putInt(48, (int) statvfs.getLong(8)); // frsize
        body.setMemory(52, KSTATFS_SIZE - 52, (byte) 0);
        return KSTATFS_SIZE;
    }

    /** GETXATTR and LISTXATTR: the size (asked with 0) or the bytes. */
    private int xattrRead(int opcode, long nodeid, int length) {
        long size = Math.min(mem.getInt(IN) & 0xffffffffL, REPLY_BODY);
        String path = nodes.path(nodeid);
        int n = opcode == GETXATTR ? fs.getxattr(path, name(IN + 8, length), body, size)
                : fs.listxattr(path, body, size);
        if (size == 0) {
            body.putInt(0, n);
            body.putInt(4, 0);
            return 8;
        }
        return n;
    }

    // ---------------------------------------------------------------- directories

    /** An open directory: its listing, made at the first READDIR from offset 0 (as libfuse does). */
    static final class DirHandle {
        final long node;
        volatile Dirents listing;

        DirHandle(long node) {
            this.node = node;
        }
    }

    private int opendir(long nodeid) {
        nodes.path(nodeid); // ENOENT for a directory without a name, as libfuse's get_path
        long fh = mount.nextDirHandle.getAndIncrement();
        mount.dirs.put(fh, new DirHandle(nodeid));
        body.putLong(0, fh);
        body.putInt(8, FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
        body.putInt(12, 0);
        return OPEN_OUT_SIZE;
    }

    /**
     * READDIR and READDIRPLUS from the listing made at offset 0; an entry's offset is its index
     * plus one, the same in both, so the kernel may mix them on one open directory. With
     * attributes, each entry but "." and ".." whose node the kernel does not hold yet is looked up
     * (one lookup of its node each, given back if the reply does not reach the kernel); the others,
     * and a name whose lookup fails, get node id 0.
     */
    private int readdir(long nodeid, long unique, boolean plus) {
        DirHandle d = mount.dirs.get(mem.getLong(IN));
        if (d == null) {
            return -Errno.EBADF;
        }
        long offset = mem.getLong(IN + 8);
        int size = (int) Math.min(mem.getInt(IN + 16) & 0xffffffffL, REPLY_BODY);
        String dirPath = nodes.path(d.node);
        Dirents l;
        synchronized (d) {
            l = d.listing;
            if (l == null || offset == 0) {
                l = new Dirents();
                fs.readdir(dirPath, l);
                d.listing = l;
            }
        }
        if (!plus) {
            return l.copy(body, 0, offset, size);
        }
        linkedCount = 0;
        int pos = 0;
        try {
            int first = offset < 0 || offset > l.count() ? l.count() : (int) offset;
            for (int i = first; i < l.count(); i++) {
                int full = ENTRY_OUT_SIZE + l.recordLength(i);
                if (pos + full > size) {
                    break;
                }
                String name = l.isDotOrDotDot(i) ? null : l.name(i);
                // node id 0, no entry given: for "." and "..", a name whose lookup fails, and one
                // whose node the kernel holds already (it keeps what it has: NodeTable.held)
                if (name == null || nodes.held(d.node, name) || !lookupForListing(d.node, dirPath, name, pos)) {
                    body.setMemory(pos, ENTRY_OUT_SIZE, (byte) 0);
                }
                l.copyRecord(i, body, pos + ENTRY_OUT_SIZE);
                pos += full;
            }
        } catch (RuntimeException | Error e) {
            forgetLinked();
            throw e;
        }
        if (reply(unique, pos) != 0) {
            forgetLinked(); // the kernel did not take the entries, so it will never forget them
        }
        return NO_REPLY;
    }

    /** A LOOKUP of {@code name} for a READDIRPLUS entry at {@code pos}: false if it failed. */
    private boolean lookupForListing(long dir, String dirPath, String n, int pos) {
        // String.concat, not +: a + call site is linked (invokedynamic) by its first use, in the
        // middle of the first READDIRPLUS a fresh mount serves
        String path = (dirPath.length() == 1 ? dirPath : dirPath.concat("/")).concat(n);
        try {
            fs.getattr(path, st);
            long node = nodes.lookedUp(dir, n, fs.sharedInode(), Stat.isDir(st));
            if (linkedCount == linked.length) {
                linked = java.util.Arrays.copyOf(linked, linked.length * 2);
            }
            linked[linkedCount++] = node;
            entryOut(body, pos, node);
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    private void forgetLinked() {
        for (int i = 0; i < linkedCount; i++) {
            nodes.forget(linked[i], 1);
            fs.forgotten(linked[i], 1);
        }
        linkedCount = 0;
    }

    // ---------------------------------------------------------------- names

    /** Offset of the first NUL at or after {@code from} in the request. */
    private int nul(int from, int length) {
        for (int i = from; i < length; i++) {
            if (mem.getByte(i) == 0) {
                return i;
            }
        }
        throw new ErrnoException(Errno.EIO, "unterminated name in request");
    }

    private String string(int from, int end) {
        byte[] b = new byte[end - from];
        mem.get(from, b, 0, b.length);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The NUL-terminated name at {@code from}, as a byte string. */
    private String name(int from, int length) {
        return string(from, nul(from, length));
    }
}
