package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;

/**
 * SETXATTR in its extended form ({@code FUSE_SETXATTR_EXT}, protocol 7.33), which the INIT reply
 * asks for along with ACLs ({@link KernelReplyPatch}): only in it does the kernel say that setting
 * an ACL must clear the file's set-group-ID bit ({@code FUSE_SETXATTR_ACL_KILL_SGID}: the caller is
 * neither in the file's group nor has CAP_FSETID), which the server, setting it as root, would
 * otherwise keep. libfuse 2.9 reads only the old form, so every SETXATTR is rewritten in place:
 * {@code fuse_setxattr_in} (size, flags, setxattr_flags, padding) becomes the old one (size,
 * flags), the name and value moving up by 8 bytes.
 */
final class SetxattrRequest {
    static final int FUSE_SETXATTR = 21;
    /** setxattr_flags: the ACL being set must clear the set-group-ID bit. */
    static final int ACL_KILL_SGID = 1;
    private static final int SETXATTR_FLAGS = IN_HEADER_SIZE + 8;
    /** fuse_setxattr_in is 16 bytes in the extended form, 8 in the old one; the name follows. */
    private static final int NAME = IN_HEADER_SIZE + 16;
    private static final int PLAIN_NAME = IN_HEADER_SIZE + 8;

    private SetxattrRequest() {
    }

    /** The request's setxattr_flags (read before {@link #asPlain} overwrites them). */
    static int flags(Pointer mem, int size) {
        return size >= NAME ? mem.getInt(SETXATTR_FLAGS) : 0;
    }

    /**
     * Rewrites the extended SETXATTR request in {@code mem} ({@code size} bytes) into the old form;
     * answers a malformed one with EIO on the device {@code fd}.
     *
     * @return the rewritten request's length, for libfuse to process; -1 if already answered
     */
    static int asPlain(Pointer mem, int size, int fd) {
        if (size < NAME + 2) { // a name of one byte and its NUL at least
            FuseAbi.replyError(fd, mem, Errno.EIO);
            return -1;
        }
        return FuseAbi.moveTail(mem, NAME, PLAIN_NAME, size);
    }
}
