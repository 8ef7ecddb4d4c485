package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_DIRECT_IO;
import static org.dockerontop.fuse.FuseAbi.FOPEN_KEEP_CACHE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_PASSTHROUGH;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_GID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UID;
import static org.dockerontop.fuse.FuseAbi.OPEN_OUT_SIZE;
import static org.dockerontop.fuse.RequestNames.name;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests of {@link JavaRequests} on open files, other than the data requests of
 * {@link DataRequests}: OPEN and CREATE (which hand the kernel a handle of
 * {@link OverlayFs#handles}, served by us or by passthrough as {@link Passthrough} decides),
 * RELEASE, FSYNC, FALLOCATE and IOCTL. One per worker, on its request buffer and reply.
 *
 * <p>{@link NodeTable} counts a node's open files from the OPEN or CREATE to the RELEASE, so that
 * an open file losing its name is hidden, and its hidden name removed at its last release. An
 * open or create whose reply the kernel no longer waits for is released here, since no RELEASE
 * will come (the methods then return {@link Replies#NONE}).
 *
 * <p>Failures are {@link ErrnoException}s: EBADF for a handle not known, ENOTTY or EINVAL for an
 * ioctl not served, EIO for a create that made something other than a regular file, else those of
 * {@link OverlayFs} and {@link FileAttrs}; the loop answers them, with nothing left open.
 */
final class FileRequests extends RequestKind {
    private static final Logger LOG = LoggerFactory.getLogger(FileRequests.class);
    private static final int IOCTL_OUT_SIZE = 16;

    private final JavaLoop.Mount mount;
    private final FileAttrs fileAttrs;

    FileRequests(JavaLoop.Mount mount, OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        super(fs, nodes, mem, replies);
        this.mount = mount;
        this.fileAttrs = new FileAttrs(fs);
    }

    /** OPEN: flags; the reply is written here. */
    int open(long nodeid, long unique) {
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
        if (replies.send(unique, OPEN_OUT_SIZE) == -Errno.ENOENT) {
            // the open was interrupted: the kernel will never release it
            release(nodeid, fh, path);
        }
        return Replies.NONE;
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

    /**
     * CREATE (and TMPFILE, made a CREATE of a reserved name by {@link TmpfileRequest}): an entry
     * and an open file in one reply, written here.
     */
    int create(long parent, long unique, int length, boolean tmpfile) {
        int flags = mem.getInt(IN);
        int mode = mem.getInt(IN + 4);
        int umask = mem.getInt(IN + 8);
        String name = name(mem, IN + 16, length);
        String path = nodes.childPath(parent, name);
        long fh = fs.create(path, mode, umask, flags, mem.getInt(IN_HEADER_UID), mem.getInt(IN_HEADER_GID));
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
        AttrEncoding.entry(st, body, 0, node);
        Pointer open = body.slice(ENTRY_OUT_SIZE);
        open.putLong(0, fh);
        open.putInt(8, 0);
        open.putInt(12, 0);
        // an O_TMPFILE file stays with the daemon (UnnamedFiles serves it by its own descriptor),
        // but is counted (see KernelReplyPatch)
        decideIo(node, open, !tmpfile);
        if (replies.send(unique, ENTRY_OUT_SIZE + OPEN_OUT_SIZE) == -Errno.ENOENT) {
            release(node, fh, path);
            nodes.forget(node, 1);
        }
        return Replies.NONE;
    }

    /** RELEASE: fh. */
    int release(long nodeid) {
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

    /** FSYNC of an open file; datasync in bit 0 of its flags. */
    int fsync() {
        Handle h = fs.handles().get(mem.getLong(IN));
        if (h == null) {
            return -Errno.EBADF;
        }
        fs.fsync(h, (mem.getInt(IN + 8) & 1) != 0);
        return 0;
    }

    /** FALLOCATE of an open file: fh, offset, length, mode. */
    int fallocate() {
        Handle h = fs.handles().get(mem.getLong(IN));
        if (h == null) {
            return -Errno.EBADF;
        }
        fs.fallocate(h, mem.getInt(IN + 24), mem.getLong(IN + 8), mem.getLong(IN + 16));
        return 0;
    }

    /**
     * FUSE_IOCTL: the kernel's fileattr requests ({@code lsattr}, {@code chattr}), which it sends
     * on a file it opened for them, are answered by {@link FileAttrs}; any other ioctl is not a
     * regular file's or a directory's (a terminal's: every isatty() of a stdio stream): ENOTTY,
     * as from the kernel overlay.
     */
    int ioctl(long nodeid, int length) {
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
}
