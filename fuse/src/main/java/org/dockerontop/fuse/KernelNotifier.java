package org.dockerontop.fuse;

import jnr.ffi.Pointer;

/**
 * The two cache invalidations a FUSE server can send the kernel unasked
 * ({@code FUSE_NOTIFY_INVAL_INODE}, {@code FUSE_NOTIFY_INVAL_ENTRY}): through libfuse's channel
 * ({@link FuseLoop}) or written to /dev/fuse directly ({@link JavaLoop}). Both may wait for kernel
 * locks: see {@link LateNotifications} for which may be sent from where.
 */
interface KernelNotifier {
    /**
     * Drops node {@code node}'s cached attributes and, for {@code off >= 0}, its cached pages from
     * {@code off} for {@code len} bytes (0: to the end).
     *
     * @return 0, or -errno (-ENOENT: the kernel holds no such node)
     */
    int invalInode(long node, long off, long len);

    /**
     * Drops the dentry {@code name} ({@code length} bytes, NUL-terminated) under node {@code parent}.
     *
     * @return 0, or -errno
     */
    int invalEntry(long parent, Pointer name, long length);
}
