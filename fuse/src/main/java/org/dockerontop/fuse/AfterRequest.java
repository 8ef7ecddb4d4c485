package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.FUSE_BATCH_FORGET;
import static org.dockerontop.fuse.FuseAbi.FUSE_FORGET;
import static org.dockerontop.fuse.FuseAbi.FUSE_RENAME;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;

import jnr.ffi.Pointer;

/** The kernel-cache bookkeeping after each request, whichever loop served it (no libfuse call). */
final class AfterRequest {
    /** fuse_forget_in.nlookup; fuse_batch_forget_in.count, then fuse_forget_one {nodeid, nlookup}. */
    private static final int FORGET_IN_NLOOKUP = IN_HEADER_SIZE;
    private static final int BATCH_FORGET_COUNT = IN_HEADER_SIZE;
    private static final int BATCH_FORGET_ONES = IN_HEADER_SIZE + 8;
    /** fuse_rename_in.newdir, then the two names. */
    private static final int RENAME_IN_NEWDIR = IN_HEADER_SIZE;
    private static final int RENAME_IN_NAMES = IN_HEADER_SIZE + 8;

    private AfterRequest() {
    }

    /**
     * Tells the kernel what libfuse's high-level API cannot: which cached attributes became wrong
     * while serving a request (attributes only: off < 0 keeps the page cache). Shared by
     * {@link FuseLoop} and {@link JavaLoop}; called after every request's reply (by our loop only
     * where {@link OverlayFs#settled} is false: FORGETs concern libfuse's per-name nodes alone).
     */
    static void run(OverlayFs fs, OverlayFs.Scratch state, KernelNotifier ch, LateNotifications late,
            Pointer mem, int size, int opcode, long nodeid, long linkSource) {
        if (linkSource == 0 && opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && OverlayFs.settled(state)) {
            return; // nothing changed that the kernel caches (nearly every request)
        }
        // a write through one name of a multi-linked file: the rest of the other names' drop
        fs.endDataChange();
        if (opcode == FUSE_FORGET) {
            fs.forgotten(nodeid, mem.getLong(FORGET_IN_NLOOKUP));
        } else if (opcode == FUSE_BATCH_FORGET) {
            long count = mem.getInt(BATCH_FORGET_COUNT) & 0xffffffffL;
            for (long i = 0; i < count && BATCH_FORGET_ONES + 16 * (i + 1) <= size; i++) {
                fs.forgotten(mem.getLong(BATCH_FORGET_ONES + 16 * i), mem.getLong(BATCH_FORGET_ONES + 16 * i + 8));
            }
        }
        boolean copiedUp = fs.takeCopiedUp();
        // a link or unlink changed the link count other names of the same file show
        fs.takeStaleLinks((node, name) -> {
            if (name == null) {
                ch.invalInode(node, -1, 0);
            } else {
                late.invalidateEntry(node, name);
            }
        });
        if (linkSource != 0) {
            // the new name gets its own node, so the source would keep its old nlink (and,
            // after a copy-up, its lower inode number) for attr_timeout
            ch.invalInode(linkSource, -1, 0);
        } else if (copiedUp && opcode == FUSE_RENAME) {
            // the moved file was copied up first: drop the new name so the next lookup brings
            // the upper inode number (the request names the directory, not the file)
            long newdir = mem.getLong(RENAME_IN_NEWDIR);
            int oldEnd = nul(mem, RENAME_IN_NAMES, size);
            int newEnd = nul(mem, oldEnd + 1, size);
            if (newEnd > oldEnd + 1) {
                byte[] name = new byte[newEnd - oldEnd - 1];
                mem.get(oldEnd + 1, name, 0, name.length); // the buffer is reused by the next request
                late.invalidateEntry(newdir, name);
            }
        } else if (copiedUp) {
            // open for writing, setattr, setxattr...: the request names the copied-up inode
            ch.invalInode(nodeid, -1, 0);
        }
    }

    /** Offset of the first NUL at or after {@code from} in the request buffer. */
    private static int nul(Pointer mem, int from, int size) {
        for (int i = from; i < size; i++) {
            if (mem.getByte(i) == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("unterminated name in request");
    }
}
