package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.FUSE_INIT_EXT;
import static org.dockerontop.fuse.FuseAbi.FUSE_MAX_PAGES;
import static org.dockerontop.fuse.FuseAbi.FUSE_PASSTHROUGH2;
import static org.dockerontop.fuse.FuseAbi.FUSE_READDIRPLUS_FLAGS;
import static org.dockerontop.fuse.FuseAbi.FUSE_SETXATTR_EXT;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;

import jnr.ffi.Pointer;

/**
 * The INIT reply of {@link JavaRequests}: the flags libfuse 2.9 asked for with our options and
 * the ones {@link KernelReplyPatch} adds (READDIRPLUS, large requests, POSIX ACLs, passthrough),
 * the protocol minor the patch answers. Fails with nothing: a kernel protocol this cannot serve
 * gets -EPROTO.
 */
final class InitRequest {
    private static final int IN = IN_HEADER_SIZE;
    private static final int INIT_OUT_SIZE = 64;

    /** INIT flags. */
    private static final int FUSE_ASYNC_READ = 1;
    private static final int FUSE_ATOMIC_O_TRUNC = 1 << 3;
    private static final int FUSE_EXPORT_SUPPORT = 1 << 4;
    private static final int FUSE_BIG_WRITES = 1 << 5;
    /** What libfuse 2.9 asked for with our options (its INIT reply on this machine: 0x39). */
    private static final int LIBFUSE_FLAGS = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES;

    private InitRequest() {
    }

    /**
     * Fills {@code body} with the reply to the INIT request in {@code mem}, and notes in
     * {@code mount} what was granted; its length, or -EPROTO for a kernel whose major version is older than 7.
     */
    static int answer(Pointer mem, Pointer body, OverlayFs fs, JavaLoop.Mount mount) {
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
}
