package org.dockerontop.fuse;

import jnr.ffi.Pointer;

/**
 * The parts of the kernel's FUSE protocol ({@code include/uapi/linux/fuse.h}) that we read or
 * write ourselves, beside libfuse 2.9 which does not know them (READDIRPLUS, TMPFILE, passthrough)
 * or whose answers we patch. Offsets are in bytes, for 64-bit Linux.
 */
final class FuseAbi {
    static final int FUSE_LOOKUP = 1;
    static final int FUSE_FORGET = 2;
    static final int FUSE_RENAME = 12;
    static final int FUSE_LINK = 13;
    static final int FUSE_OPEN = 14;
    static final int FUSE_READ = 15;
    static final int FUSE_WRITE = 16;
    static final int FUSE_INIT = 26;
    static final int FUSE_OPENDIR = 27;
    static final int FUSE_READDIR = 28;
    static final int FUSE_CREATE = 35;
    static final int FUSE_BATCH_FORGET = 42;
    static final int FUSE_READDIRPLUS = 44;
    static final int FUSE_TMPFILE = 51;
    static final int FUSE_RENAME2 = 45;
    static final int FUSE_LSEEK = 46;
    static final int FUSE_COPY_FILE_RANGE = 47;
    /** Protocol 7.45; the kernel sends it regardless of the minor we answer INIT with. */
    static final int FUSE_COPY_FILE_RANGE_64 = 53;

    /** struct fuse_in_header: len, opcode, unique, nodeid, uid, gid, pid, total_extlen, padding. */
    static final int IN_HEADER_LEN = 0;
    static final int IN_HEADER_OPCODE = 4;
    static final int IN_HEADER_UNIQUE = 8;
    static final int IN_HEADER_NODEID = 16;
    static final int IN_HEADER_UID = 24;
    static final int IN_HEADER_GID = 28;
    static final int IN_HEADER_TOTAL_EXTLEN = 36;
    static final int IN_HEADER_SIZE = 40;

    /**
     * struct fuse_read_in and struct fuse_write_in (the same layout since protocol 7.9): fh,
     * offset, size, read/write_flags, lock_owner, flags, padding; a WRITE's data follows.
     */
    static final int IO_IN_FH = IN_HEADER_SIZE;
    static final int IO_IN_OFFSET = IN_HEADER_SIZE + 8;
    static final int IO_IN_SIZE = IN_HEADER_SIZE + 16;
    static final int IO_IN_LEN = 40;

    /** struct fuse_write_out: size, padding. */
    static final int WRITE_OUT_SIZE = 8;

    /** struct fuse_out_header: len, error, unique. */
    static final int OUT_HEADER_LEN = 0;
    static final int OUT_HEADER_ERROR = 4;
    static final int OUT_HEADER_UNIQUE = 8;
    static final int OUT_HEADER_SIZE = 16;

    /** Fills in the fuse_out_header at the start of {@code reply}: a reply of {@code length} bytes to {@code unique}, error 0 or -errno. */
    static void outHeader(Pointer reply, long length, int error, long unique) {
        reply.putInt(OUT_HEADER_LEN, (int) length);
        reply.putInt(OUT_HEADER_ERROR, error);
        reply.putLong(OUT_HEADER_UNIQUE, unique);
    }

    /**
     * Answers the request at the start of {@code request} with {@code -errno} on the device
     * {@code fd}: for a request refused before libfuse sees it (libfuse ignores a failed write of
     * a reply as well: the request was interrupted, or the mount is gone).
     */
    static void replyError(int fd, Pointer request, int errno) {
        long unique = request.getLong(IN_HEADER_UNIQUE);
        byte[] out = new byte[OUT_HEADER_SIZE];
        java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.nativeOrder())
                .putInt(OUT_HEADER_SIZE).putInt(-errno).putLong(unique);
        org.dockerontop.overlay.nativeio.Native.LIBC.write(fd, out, out.length);
    }

    /** struct fuse_entry_out (a LOOKUP reply, the start of a CREATE reply and of a fuse_direntplus). */
    static final int ENTRY_OUT_SIZE = 128;

    /** struct iovec: base, len (the send hook's replies come as vectors). */
    static final int IOVEC_SIZE = 16;

    /** struct fuse_open_out: fh, open_flags, backing_id (passthrough). */
    static final int OPEN_OUT_SIZE = 16;

    /** fuse_open_out.open_flags. */
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;
    static final int FOPEN_PASSTHROUGH = 1 << 7;

    /** fuse_init_in/out flags: the kernel sends create modes without applying the umask. */
    static final int FUSE_DONT_MASK = 1 << 6;
    /** READDIRPLUS, and (AUTO) only where the kernel finds it pays, like NFS's readdirplus. */
    static final int FUSE_READDIRPLUS_FLAGS = 1 << 13 | 1 << 14;
    /** The kernel enforces POSIX ACLs. */
    static final int FUSE_POSIX_ACL = 1 << 20;
    static final int FUSE_MAX_PAGES = 1 << 22;
    /** SETXATTR requests in the extended form (see {@link SetxattrRequest}). */
    static final int FUSE_SETXATTR_EXT = 1 << 29;
    static final int FUSE_INIT_EXT = 1 << 30;
    /** FUSE_PASSTHROUGH is bit 37 of the 64-bit flags: bit 5 of flags2. */
    static final int FUSE_PASSTHROUGH2 = 1 << 5;

    /**
     * Moves what follows offset {@code from} of a {@code size}-byte request to offset {@code to}
     * (a request rewritten into a shorter form libfuse 2.9 reads) and sets the header's length.
     *
     * @return the request's new length
     */
    static int moveTail(Pointer mem, int from, int to, int size) {
        int rest = size - from;
        byte[] b = new byte[rest];
        mem.get(from, b, 0, rest);
        mem.put(to, b, 0, rest);
        int length = to + rest;
        mem.putInt(IN_HEADER_LEN, length);
        return length;
    }

    private FuseAbi() {
    }
}
