package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Test;

/** {@link Dirents}: READDIR reply bodies in the kernel's {@code struct fuse_dirent} format. */
class DirentsTest {
    private static final int DT_DIR = 4;
    private static final int DT_REG = 8;

    /** Hands {@code name} to the sink as {@link Listing} does: in a larger array, NUL-terminated, at an offset. */
    private static void add(Dirents d, String name, int dtype, long ino) {
        byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
        byte[] a = new byte[n.length + 20];
        java.util.Arrays.fill(a, (byte) 'z'); // garbage around the name: only up to the NUL counts
        System.arraycopy(n, 0, a, 7, n.length);
        a[7 + n.length] = 0;
        assertTrue(d.accept(a, 7, 0L, dtype, ino));
    }

    private static Pointer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        Pointer p = Native.allocate(b.length + 1);
        p.put(0, b, 0, b.length);
        p.putByte(b.length, (byte) 0);
        return p;
    }

    record Entry(long ino, long off, int type, String name) {
    }

    /** Parses a reply body back, checking each record's padding is zero. */
    private static List<Entry> parse(Pointer p, int n) {
        List<Entry> out = new ArrayList<>();
        int at = 0;
        while (at < n) {
            int len = p.getInt(at + 16);
            byte[] b = new byte[len];
            p.get(at + 24, b, 0, len);
            int rec = 24 + ((len + 7) & ~7);
            for (int i = 24 + len; i < rec; i++) {
                assertEquals(0, p.getByte(at + i), "padding of " + new String(b, StandardCharsets.ISO_8859_1));
            }
            out.add(new Entry(p.getLong(at), p.getLong(at + 8), p.getInt(at + 20), new String(b, StandardCharsets.ISO_8859_1)));
            at += rec;
        }
        assertEquals(n, at, "whole records only");
        return out;
    }

    @Test
    void recordsAreTheKernelsDirentsWithOffsetsOfTheNextEntry() {
        Dirents d = new Dirents();
        assertTrue(d.accept(cString(".").address(), DT_DIR, 10));
        assertTrue(d.accept(cString("..").address(), DT_DIR, 2));
        add(d, "a", DT_REG, 100);
        add(d, "seven77", DT_REG, 101); // 7: padded to 8
        add(d, "eight888", DT_DIR, 102); // 8: no padding
        add(d, "nine99999", DT_REG, 103); // 9: padded to 16
        add(d, "caf\u00e9\u00ff", DT_REG, 1L << 40); // bytes above 0x7f, a 64-bit inode number
        assertEquals(7, d.count());
        assertEquals(24 + 8, d.recordLength(0));
        assertEquals(24 + 8, d.recordLength(3));
        assertEquals(24 + 8, d.recordLength(4));
        assertEquals(24 + 16, d.recordLength(5));
        assertTrue(d.isDotOrDotDot(0));
        assertTrue(d.isDotOrDotDot(1));
        assertFalse(d.isDotOrDotDot(2));
        assertEquals("caf\u00e9\u00ff", d.name(6));

        Pointer body = Native.allocate(4096);
        int n = d.copy(body, 0, 0, 4096);
        assertEquals(List.of(new Entry(10, 1, DT_DIR, "."), new Entry(2, 2, DT_DIR, ".."),
                new Entry(100, 3, DT_REG, "a"), new Entry(101, 4, DT_REG, "seven77"),
                new Entry(102, 5, DT_DIR, "eight888"), new Entry(103, 6, DT_REG, "nine99999"),
                new Entry(1L << 40, 7, DT_REG, "caf\u00e9\u00ff")), parse(body, n));

        // one record, copied where a READDIRPLUS entry puts it
        Pointer plus = Native.allocate(256);
        d.copyRecord(5, plus, 128);
        assertEquals(List.of(new Entry(103, 6, DT_REG, "nine99999")), parse(plus.slice(128), 40));
    }

    @Test
    void aReplyHoldsOnlyWholeRecordsAndContinuesAtTheOffsetGiven() {
        Dirents d = new Dirents();
        for (int i = 0; i < 10; i++) {
            add(d, "f" + i, DT_REG, 1000 + i); // 32 bytes each
        }
        Pointer body = Native.allocate(4096);
        assertEquals(96, d.copy(body, 0, 0, 127), "three whole records fit in 127 bytes");
        assertEquals(128, d.copy(body, 0, 0, 128));
        assertEquals(List.of(new Entry(1003, 4, DT_REG, "f3"), new Entry(1004, 5, DT_REG, "f4")),
                parse(body, d.copy(body, 0, 3, 64)));
        assertEquals(32, d.copy(body, 0, 9, 4096), "the last entry");
        assertEquals(0, d.copy(body, 0, 10, 4096), "past the last entry: the end");
        assertEquals(0, d.copy(body, 0, 11, 4096));
        assertEquals(0, d.copy(body, 0, -1, 4096), "an offset we never gave");
        assertEquals(0, d.copy(body, 0, 0, 31), "not even the first record fits");
        assertEquals(0, new Dirents().copy(body, 0, 0, 4096), "an empty listing");
    }

    @Test
    void aLongListingReadInRepliesGivesEveryEntryOnceInOrder() {
        Dirents d = new Dirents();
        int count = 20_000; // far beyond the initial capacity
        for (int i = 0; i < count; i++) {
            add(d, "file-with-a-longer-name-" + i, i % 3 == 0 ? DT_DIR : DT_REG, i + 1);
        }
        Pointer body = Native.allocate(32 << 10);
        long offset = 0;
        int replies = 0;
        List<Entry> all = new ArrayList<>();
        for (int n = d.copy(body, 0, offset, 32 << 10); n > 0; n = d.copy(body, 0, offset, 32 << 10)) {
            List<Entry> got = parse(body, n);
            all.addAll(got);
            offset = got.get(got.size() - 1).off();
            replies++;
        }
        assertEquals(count, all.size());
        for (int i = 0; i < count; i++) {
            assertEquals(new Entry(i + 1, i + 1, i % 3 == 0 ? DT_DIR : DT_REG, "file-with-a-longer-name-" + i), all.get(i));
        }
        assertTrue(replies > 20, replies + " replies");
    }
}
