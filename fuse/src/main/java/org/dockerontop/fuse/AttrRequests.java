package org.dockerontop.fuse;


import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;

/**
 * The requests of {@link JavaRequests} that read or set attributes: a node's (GETATTR, STATX,
 * SETATTR, ACCESS) and the filesystem's (STATFS). One per worker, on its request buffer and
 * reply body; the attribute timeout is {@link AttrEncoding#TIMEOUT}.
 *
 * <p>Each method returns the reply body's length. Failures are {@link ErrnoException}s: ENOENT
 * for a node with no path (and, where the request names one, no known open file), else those of
 * {@link OverlayFs} (EACCES, EPERM, EROFS...); the loop answers them. No lookup is counted here.
 */
final class AttrRequests extends RequestKind {
    /** fuse_statx_out: attr_valid, attr_valid_nsec, flags, spare[2], then a fuse_statx (= struct statx). */
    private static final int STATX_OUT_SIZE = 32 + 256;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int KSTATFS_SIZE = 80;

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

    private final Pointer times = Native.allocate(32);
    private final Pointer sx = Native.allocate(Native.STATX_SIZE);
    private final Pointer statvfs = Native.allocate(128);

    AttrRequests(OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        super(fs, nodes, mem, replies);
    }

    /** GETATTR: by path, or through the open file the request names (FUSE_GETATTR_FH). */
    int getattr(long nodeid) {
        statNode(nodeid);
        return AttrEncoding.attrOut(st, body);
    }

    /**
     * ACCESS: the mount has default_permissions, so the kernel checks the mode itself; the answer
     * says whether the node's path still leads to an entry (ENOENT if not).
     */
    int access(long nodeid) {
        fs.getattr(nodes.path(nodeid), st);
        return 0;
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
    int statx(long nodeid) {
        String path = statNode(nodeid);
        boolean born = fs.birthTime(path, requestHandle(), sx);
        body.setMemory(0, STATX_OUT_SIZE, (byte) 0);
        body.putLong(0, AttrEncoding.TIMEOUT);
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

    /**
     * In libfuse 2.9's order: mode, owner, size, times, then the attributes as they are now. One
     * difference: a SETATTR that sets no attribute (the kernel's for chown(f, -1, -1), which needs
     * no permission) copies the entry up and changes its ctime, as the kernel overlay does (it
     * passes the change on to the upper entry); libfuse 2 called nothing for it.
     */
    int setattr(long nodeid) {
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
        return AttrEncoding.attrOut(st, body);
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

    /** STATFS: the upper layer's, as the kernel overlay reports. */
    int statfs() {
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
}
