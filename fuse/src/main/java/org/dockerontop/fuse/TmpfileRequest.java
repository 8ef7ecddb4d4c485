package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.FUSE_CREATE;
import static org.dockerontop.fuse.FuseAbi.FUSE_TMPFILE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_LEN;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_TOTAL_EXTLEN;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;

/**
 * O_TMPFILE for libfuse 2.9, which answers the kernel's {@code FUSE_TMPFILE} request (kernel 6.1+)
 * with ENOSYS, after which the kernel fails every O_TMPFILE open on the mount with EOPNOTSUPP.
 *
 * <p>A TMPFILE request is shaped like a CREATE (a {@code fuse_create_in} and a name; the kernel
 * expects the same {@code fuse_entry_out} + {@code fuse_open_out} reply, matched by the request's
 * unique id), so before libfuse sees one it is rewritten in place into a CREATE of a fresh reserved
 * name of {@link UnnamedFiles} in the same directory, which {@link OverlayFs} turns into an
 * O_TMPFILE open of the upper directory. The kernel's own name for it ("/") is dropped.
 *
 * <p>The reply carries the unnamed file's real attributes, nlink 0 included: the kernel's
 * {@code fuse_create_open} instantiates the inode with them as they are (no {@code d_tmpfile}
 * there drops a link), and the kernel overlay reports nlink 0 for such a file as well.
 */
final class TmpfileRequest {
    /** The name follows struct fuse_create_in (flags, mode, umask, open_flags). */
    private static final int NAME = IN_HEADER_SIZE + 16;

    private TmpfileRequest() {
    }

    /**
     * Rewrites the TMPFILE request in {@code mem} ({@code size} bytes, in a buffer of
     * {@code capacity}) into a CREATE of a reserved name. A request not as the kernel sends one is
     * answered with EIO on the device {@code fd} instead.
     *
     * @return the rewritten request's length, for libfuse to process; -1 if already answered
     */
    static int asCreate(Pointer mem, int size, long capacity, int fd) {
        byte[] name = UnnamedFiles.newName();
        if (size < NAME + 1 || NAME + name.length > capacity) {
            FuseAbi.replyError(fd, mem, Errno.EIO);
            return -1;
        }
        mem.put(NAME, name, 0, name.length);
        int length = NAME + name.length;
        mem.putInt(IN_HEADER_LEN, length);
        mem.putInt(IN_HEADER_OPCODE, FUSE_CREATE);
        // extensions (a security context...) follow the name; libfuse 2.9 negotiates none of them
        mem.putShort(IN_HEADER_TOTAL_EXTLEN, (short) 0);
        return length;
    }
}
