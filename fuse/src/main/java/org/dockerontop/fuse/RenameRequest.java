package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.FUSE_RENAME;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;

/**
 * renameat2(2) with {@code RENAME_NOREPLACE} for libfuse 2.9, which knows no {@code FUSE_RENAME2}
 * (the kernel sends it for renames with flags once the protocol minor is 23, see
 * {@link KernelReplyPatch#RENAME2_MINOR}).
 *
 * <p>A NOREPLACE rename is served as a plain RENAME: the kernel has already refused it with EEXIST
 * if the new name exists (do_renameat2 looks it up, and fails on a positive dentry), and it holds
 * both parent directories locked until our reply, so nothing can create the name through the mount
 * in between. The request is rewritten in place: {@code fuse_rename2_in} (newdir, flags, padding)
 * becomes {@code fuse_rename_in} (newdir), the names moving up by 8 bytes.
 *
 * <p>{@code RENAME_EXCHANGE} and {@code RENAME_WHITEOUT} are answered EINVAL here, what callers
 * got before the minor was raised (the kernel overlay has RENAME_EXCHANGE: {@link JavaRequests}
 * serves it, see {@link #isExchange}, where no libfuse stands between it and the request).
 */
final class RenameRequest {
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    /** fuse_rename2_in: u64 newdir, u32 flags, u32 padding, then the two names. */
    private static final int FLAGS = IN_HEADER_SIZE + 8;
    private static final int NAMES = IN_HEADER_SIZE + 16;
    /** fuse_rename_in: u64 newdir, then the two names. */
    private static final int PLAIN_NAMES = IN_HEADER_SIZE + 8;

    private RenameRequest() {
    }

    /** Is the RENAME2 request in {@code mem} ({@code size} bytes) a RENAME_EXCHANGE (that flag alone)? */
    static boolean isExchange(Pointer mem, int size) {
        return size >= NAMES + 4 && mem.getInt(FLAGS) == RENAME_EXCHANGE;
    }

    /**
     * Rewrites the RENAME2 request in {@code mem} ({@code size} bytes) into a RENAME if its flags
     * are none or NOREPLACE; otherwise answers it on the device {@code fd} (EINVAL, or EIO if it is
     * malformed).
     *
     * @return the rewritten request's length, for libfuse to process; -1 if already answered
     */
    static int asRename(Pointer mem, int size, int fd) {
        if (size < NAMES + 4) { // two names of one byte and their NULs at least
            FuseAbi.replyError(fd, mem, Errno.EIO);
            return -1;
        }
        int flags = mem.getInt(FLAGS);
        if ((flags & ~RENAME_NOREPLACE) != 0) {
            FuseAbi.replyError(fd, mem, Errno.EINVAL);
            return -1;
        }
        mem.putInt(IN_HEADER_OPCODE, FUSE_RENAME);
        return FuseAbi.moveTail(mem, NAMES, PLAIN_NAMES, size);
    }
}
