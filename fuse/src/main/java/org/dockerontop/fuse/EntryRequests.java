package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_GID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UID;
import static org.dockerontop.fuse.RequestNames.name;
import static org.dockerontop.fuse.RequestNames.nul;
import static org.dockerontop.fuse.RequestNames.string;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * The requests of {@link JavaRequests} that find or make a name and answer with its entry (one
 * more lookup of its node in {@link NodeTable}): LOOKUP, MKNOD, MKDIR, SYMLINK, LINK; and
 * READLINK, the target a SYMLINK made. One per worker, on its request buffer and reply.
 *
 * <p>Each method answers the request in the worker's buffers: the reply body's length, or
 * {@link Replies#NONE} where it wrote the reply itself (an entry, whose lookup is given back if
 * the kernel no longer waits for it). Failures are {@link ErrnoException}s of {@link OverlayFs}
 * (ENOENT for a node without a path, EEXIST, EACCES...) or of {@link RequestNames} (EIO), thrown
 * before any lookup is counted; the loop answers them.
 */
final class EntryRequests extends RequestKind {
    EntryRequests(OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        super(fs, nodes, mem, replies);
    }

    /**
     * LOOKUP of the name in the request under {@code parent}: its entry, or a negative entry
     * where there is no such name (ENOENT is then no failure).
     *
     * <p>No {@link OverlayFs#beginLookup}/{@link OverlayFs#lookupReplied}/{@link OverlayFs#endLookup}
     * here: what they record (names of multi-linked files, nodes of lower directories) is for
     * libfuse's loop, whose nodes are per name and not the server's to look up; ours shares nodes
     * and finds them in {@link NodeTable} ({@link OverlayFs#oneNodePerUpperInode}, {@link OverlayFs#nodeIds}).
     */
    int lookup(long parent, long unique, int length) {
        String name = name(mem, IN, length);
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
            AttrEncoding.entry(st, body, 0, n.id);
            return sendEntry(unique, ENTRY_OUT_SIZE);
        }
        path = nodes.childPath(parent, name);
        try {
            fs.getattr(path, st);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            return AttrEncoding.negative(body); // cached for negative_timeout
        }
        long node = nodes.lookedUp(parent, name, fs.sharedInode(), Stat.isDir(st));
        AttrEncoding.entry(st, body, 0, node);
        return sendEntry(unique, ENTRY_OUT_SIZE);
    }

    /** READLINK: the target, without its NUL (the kernel adds one). */
    int readlink(long nodeid) {
        fs.readlink(nodes.path(nodeid), body, 4097);
        int n = 0;
        while (body.getByte(n) != 0) {
            n++;
        }
        return n;
    }

    /** SYMLINK: the name, then the target, in the request; owned by the caller. */
    int symlink(long parent, long unique, int length) {
        int nameEnd = nul(mem, IN, length);
        String name = string(mem, IN, nameEnd);
        String target = name(mem, nameEnd + 1, length);
        String path = nodes.childPath(parent, name);
        fs.symlink(target, path, mem.getInt(IN_HEADER_UID), mem.getInt(IN_HEADER_GID));
        return sendEntry(unique, entry(parent, name, path, null, unique));
    }

    /** MKNOD: mode, rdev, umask, then the name; owned by the caller. */
    int mknod(long parent, long unique, int length) {
        int mode = mem.getInt(IN);
        long rdev = mem.getInt(IN + 4) & 0xffffffffL;
        int umask = mem.getInt(IN + 8);
        String name = name(mem, IN + 16, length);
        String path = nodes.childPath(parent, name);
        int uid = mem.getInt(IN_HEADER_UID);
        int gid = mem.getInt(IN_HEADER_GID);
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

    /** MKDIR: mode and umask, then the name; owned by the caller. */
    int mkdir(long parent, long unique, int length) {
        String name = name(mem, IN + 8, length);
        String path = nodes.childPath(parent, name);
        fs.mkdir(path, mem.getInt(IN), mem.getInt(IN + 4), mem.getInt(IN_HEADER_UID), mem.getInt(IN_HEADER_GID));
        return sendEntry(unique, entry(parent, name, path, null, unique));
    }

    /**
     * LINK: the new name is answered with the source's node (a lowlevel filesystem's link), whose
     * attributes the reply brings up to date: the kernel keeps one inode for both names, as the
     * kernel overlay does once the file is in the upper layer.
     */
    int link(long newParent, long unique, int length) {
        long source = mem.getLong(IN);
        String name = name(mem, IN + 8, length);
        String from = nodes.path(source);
        String to = nodes.childPath(newParent, name);
        fs.link(from, to);
        fs.getattr(to, st);
        long node = nodes.linked(source, newParent, name, fs.sharedInode());
        AttrEncoding.entry(st, body, 0, node);
        return sendEntry(unique, ENTRY_OUT_SIZE);
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
        AttrEncoding.entry(st, body, 0, node);
        return ENTRY_OUT_SIZE;
    }

    /** Writes an entry reply now; if the kernel no longer waits for it, gives its lookup back. */
    private int sendEntry(long unique, int len) {
        if (len < 0) {
            return len;
        }
        long node = body.getLong(0);
        if (replies.send(unique, len) == -Errno.ENOENT && node != 0) {
            nodes.forget(node, 1);
        }
        return Replies.NONE;
    }
}
