package org.dockerontop.fuse;

import static org.dockerontop.fuse.RequestNames.name;
import static org.dockerontop.fuse.RequestNames.nul;
import static org.dockerontop.fuse.RequestNames.string;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.ErrnoException;

/**
 * The extended-attribute requests of {@link JavaRequests}: SETXATTR (already in its plain form:
 * {@link SetxattrRequest}), GETXATTR, LISTXATTR and REMOVEXATTR, by the node's path. One per
 * worker, on its request buffer and reply body.
 *
 * <p>Each method returns the reply body's length. Failures are {@link ErrnoException}s of
 * {@link OverlayFs} (ENODATA, ERANGE, EPERM, ENOTSUP...) or ENOENT for a node with no path; the
 * loop answers them.
 */
final class XattrRequests extends RequestKind {
    XattrRequests(OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        super(fs, nodes, mem, replies);
    }

    /** SETXATTR: size, flags, the name, then the value. */
    int setxattr(long nodeid, int length) {
        int size = mem.getInt(IN);
        int flags = mem.getInt(IN + 4);
        int nameEnd = nul(mem, IN + 8, length);
        fs.setxattr(nodes.path(nodeid), string(mem, IN + 8, nameEnd), mem.slice(nameEnd + 1), size, flags);
        return 0;
    }

    /** GETXATTR and LISTXATTR: the size (asked with 0) or the bytes. */
    int read(int opcode, long nodeid, int length) {
        long size = Math.min(mem.getInt(IN) & 0xffffffffL, Replies.BODY);
        String path = nodes.path(nodeid);
        int n = opcode == JavaRequests.GETXATTR ? fs.getxattr(path, name(mem, IN + 8, length), body, size)
                : fs.listxattr(path, body, size);
        if (size == 0) {
            body.putInt(0, n);
            body.putInt(4, 0);
            return 8;
        }
        return n;
    }

    /** REMOVEXATTR: the name. */
    int removexattr(long nodeid, int length) {
        fs.removexattr(nodes.path(nodeid), name(mem, IN, length));
        return 0;
    }
}
