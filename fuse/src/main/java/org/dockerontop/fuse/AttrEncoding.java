package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;

import jnr.ffi.Pointer;

/**
 * A struct stat as the kernel's fuse_attr, fuse_attr_out and fuse_entry_out, with the timeouts
 * libfuse gave our mounts (60 s for entries, attributes and negative entries), for the replies of
 * {@link JavaRequests}. Writes memory only; fails with nothing.
 */
final class AttrEncoding {
    /** entry_timeout, attr_timeout and negative_timeout, in seconds. */
    static final long TIMEOUT = 60;
    private static final int ATTR_SIZE = 88;
    /** struct fuse_attr_out: attr_valid, attr_valid_nsec, dummy, then a fuse_attr. */
    static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;

    private AttrEncoding() {
    }

    /** The attributes in {@code st} as a fuse_attr at {@code off} of {@code o}. */
    static void attr(Pointer st, Pointer o, int off) {
        o.putLong(off, st.getLong(8)); // ino: use_ino
        o.putLong(off + 8, st.getLong(48)); // size
        o.putLong(off + 16, st.getLong(64)); // blocks
        o.putLong(off + 24, st.getLong(72)); // atime
        o.putLong(off + 32, st.getLong(88)); // mtime
        o.putLong(off + 40, st.getLong(104)); // ctime
        o.putInt(off + 48, (int) st.getLong(80));
        o.putInt(off + 52, (int) st.getLong(96));
        o.putInt(off + 56, (int) st.getLong(112));
        o.putInt(off + 60, st.getInt(24)); // mode
        o.putInt(off + 64, (int) st.getLong(16)); // nlink
        o.putInt(off + 68, st.getInt(28)); // uid
        o.putInt(off + 72, st.getInt(32)); // gid
        o.putInt(off + 76, (int) st.getLong(40)); // rdev
        o.putInt(off + 80, (int) st.getLong(56)); // blksize
        o.putInt(off + 84, 0);
    }

    /** A fuse_entry_out for {@code node} with the attributes in {@code st}, at {@code off} of {@code o}. */
    static void entry(Pointer st, Pointer o, int off, long node) {
        o.putLong(off, node);
        o.putLong(off + 8, 0); // generation: ids are never reused
        o.putLong(off + 16, TIMEOUT);
        o.putLong(off + 24, TIMEOUT);
        o.putInt(off + 32, 0);
        o.putInt(off + 36, 0);
        attr(st, o, off + 40);
    }

    /** A negative entry (node id 0), which the kernel caches for negative_timeout, at the start of {@code o}. */
    static int negative(Pointer o) {
        o.setMemory(0, ENTRY_OUT_SIZE, (byte) 0);
        o.putLong(16, TIMEOUT);
        return ENTRY_OUT_SIZE;
    }

    /** A fuse_attr_out with the attributes in {@code st} at the start of {@code o}; its length. */
    static int attrOut(Pointer st, Pointer o) {
        o.putLong(0, TIMEOUT);
        o.putInt(8, 0);
        o.putInt(12, 0);
        attr(st, o, 16);
        return ATTR_OUT_SIZE;
    }
}
