package org.dockerontop.fuse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;

/**
 * The listing of an open directory on our loop, held as the records a READDIR reply is made of
 * ({@code struct fuse_dirent}: ino, off, namelen, type, the name padded to 8 bytes), one after the
 * other in one byte array, with the index of where each starts. Filled once by
 * {@link OverlayFs#readdir} (this is its sink), then only read, so threads may read it without a lock
 * once it is published.
 *
 * <p>Why records rather than names: a READDIR reply is then one copy of a slice ({@link #copy}), as
 * libfuse answers from the buffer it filled at offset 0, instead of six writes through jnr per entry.
 * The first listing of a fresh mount runs that per-entry code in the interpreter (a loop body is
 * compiled in place only after 60,000 iterations), where it cost ~0.3 us an entry: 0.2-0.5 ms per
 * 32 KiB reply against fuse-overlayfs's 0.05 ms (findings 37). The records are made per entry by
 * {@link #accept} (a method, so compiled after a few hundred calls) from the bytes {@link Listing}
 * already holds in the heap, without a native read per name.
 *
 * <p>An entry's offset ({@code off}, what the kernel hands back to continue) is its index plus one,
 * the same in READDIR and READDIRPLUS replies, so the kernel may mix the two on one open directory.
 * Memory: the record size per entry (24 bytes plus the name rounded up to 8) and 4 bytes of index,
 * about what the names as arrays took before.
 */
final class Dirents implements OverlayFs.EntrySink {
    private static final MemoryIO MEMORY = MemoryIO.getInstance();
    /** struct fuse_dirent: ino (u64), off (u64), namelen (u32), type (u32), then the name. */
    static final int HEADER = 24;

    private byte[] records = new byte[4096];
    /** starts[i]: where entry i's record starts; starts[count]: the end of the last. */
    private int[] starts = new int[129];
    private int count;

    /** The number of entries. */
    int count() {
        return count;
    }

    /** The record length of entry {@code i} (0 <= i < count). */
    int recordLength(int i) {
        return starts[i + 1] - starts[i];
    }

    /** Is entry {@code i} "." or ".."? (READDIRPLUS gives those no node.) */
    boolean isDotOrDotDot(int i) {
        int at = starts[i] + HEADER;
        int len = nameLength(i);
        return records[at] == '.' && (len == 1 || (len == 2 && records[at + 1] == '.'));
    }

    /** The name of entry {@code i}, as a byte string (one char per byte, see LibC). */
    String name(int i) {
        return new String(records, starts[i] + HEADER, nameLength(i), StandardCharsets.ISO_8859_1);
    }

    private int nameLength(int i) {
        int at = starts[i] + 16;
        return (records[at] & 0xff) | (records[at + 1] & 0xff) << 8 | (records[at + 2] & 0xff) << 16
                | (records[at + 3] & 0xff) << 24;
    }

    /**
     * Copies the records of entries {@code from}, {@code from + 1}, ... that fit whole into
     * {@code size} bytes to {@code to} at {@code at}: a READDIR reply body. Returns the bytes copied;
     * 0 at the end of the listing (an offset past it included) or if not even the first record fits.
     */
    int copy(Pointer to, int at, long from, int size) {
        if (from < 0 || from >= count) {
            return 0;
        }
        int first = (int) from;
        int begin = starts[first];
        // the last entry end that fits: starts is increasing, so a binary search (no per-entry loop)
        int lo = first;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] - begin <= size) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int n = starts[lo] - begin;
        if (n > 0) {
            to.put(at, records, begin, n);
        }
        return n;
    }

    /** Copies the record of entry {@code i} to {@code to} at {@code at} (a READDIRPLUS entry's dirent). */
    void copyRecord(int i, Pointer to, int at) {
        to.put(at, records, starts[i], recordLength(i));
    }

    /** "." and "..": their names are in native memory. */
    @Override
    public boolean accept(long name, int dtype, long ino) {
        byte[] b = MEMORY.getZeroTerminatedByteArray(name);
        add(b, 0, b.length, dtype, ino);
        return true;
    }

    /** A listed entry: its name is in {@code a} from {@code name} up to a NUL. */
    @Override
    public boolean accept(byte[] a, int name, long address, int dtype, long ino) {
        int end = name;
        while (a[end] != 0) {
            end++;
        }
        add(a, name, end - name, dtype, ino);
        return true;
    }

    private void add(byte[] name, int from, int len, int dtype, long ino) {
        int at = starts[count];
        int end = at + HEADER + ((len + 7) & ~7);
        if (end > records.length) {
            records = Arrays.copyOf(records, Math.max(end, records.length * 2));
        }
        if (count + 2 > starts.length) {
            starts = Arrays.copyOf(starts, starts.length * 2);
        }
        byte[] r = records;
        putLong(r, at, ino);
        putLong(r, at + 8, count + 1); // off: where the next READDIR continues
        putLong(r, at + 16, (len & 0xffffffffL) | (long) dtype << 32); // namelen, type
        System.arraycopy(name, from, r, at + HEADER, len);
        // the padding is zero: the array is never written twice
        count++;
        starts[count] = end;
    }

    private static void putLong(byte[] r, int at, long v) {
        r[at] = (byte) v;
        r[at + 1] = (byte) (v >>> 8);
        r[at + 2] = (byte) (v >>> 16);
        r[at + 3] = (byte) (v >>> 24);
        r[at + 4] = (byte) (v >>> 32);
        r[at + 5] = (byte) (v >>> 40);
        r[at + 6] = (byte) (v >>> 48);
        r[at + 7] = (byte) (v >>> 56);
    }
}
