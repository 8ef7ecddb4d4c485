package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rewrite of the kernel's FUSE_TMPFILE request into libfuse's CREATE, byte by byte. */
class TmpfileRequestTest {
    private static final int TMPFILE_FLAGS = Native.O_TMPFILE | Native.O_RDWR;

    /** A TMPFILE request as the kernel sends it: header, fuse_create_in, the name "/". */
    private static Pointer request(Pointer mem, long unique) {
        mem.putInt(0, 58);
        mem.putInt(4, 51);
        mem.putLong(8, unique);
        mem.putLong(16, 7); // the directory's node
        mem.putInt(24, 1000);
        mem.putInt(28, 1001);
        mem.putInt(40, TMPFILE_FLAGS);
        mem.putInt(44, 0100640);
        mem.putInt(48, 022);
        mem.putByte(56, (byte) '/');
        mem.putByte(57, (byte) 0);
        return mem;
    }

    @Test
    void becomesACreateOfAFreshReservedNameInTheSameDirectory() {
        Pointer mem = request(Native.allocate(4096), 42);
        int returned = TmpfileRequest.asCreate(mem, 58, 4096, -1);
        int length = mem.getInt(0);
        String name = mem.getString(56);
        assertEquals(35, mem.getInt(4), "opcode CREATE");
        assertEquals(56 + name.length() + 1, length);
        assertEquals(length, returned, "the length libfuse is given (fuse_buf.size)");
        assertTrue(name.matches("/[0-9a-f]+"), name);
        assertEquals(42, mem.getLong(8), "the kernel's unique id, so that it takes the reply as its TMPFILE's");
        assertEquals(7, mem.getLong(16));
        assertEquals(1000, mem.getInt(24));
        assertEquals(TMPFILE_FLAGS, mem.getInt(40));
        assertEquals(0100640, mem.getInt(44));
        assertEquals(0, mem.getShort(36), "no extensions");

        assertTrue(TmpfileRequest.asCreate(request(mem, 43), 58, 4096, -1) > 0);
        assertNotEquals(name, mem.getString(56), "every unnamed file gets its own node in libfuse");
    }

    @Test
    void aTruncatedRequestIsAnsweredWithEio(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("reply");
        int fd = Native.LIBC.open(out.toString(), Native.O_WRONLY | Native.O_CREAT | Native.O_CLOEXEC, 0600);
        try {
            Pointer mem = request(Native.allocate(4096), 99);
            assertEquals(-1, TmpfileRequest.asCreate(mem, 50, 4096, fd), "answered here");
        } finally {
            Native.LIBC.close(fd);
        }
        ByteBuffer reply = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.nativeOrder());
        assertEquals(16, reply.remaining());
        assertEquals(16, reply.getInt(), "fuse_out_header.len");
        assertEquals(-5, reply.getInt(), "-EIO, never ENOSYS");
        assertEquals(99, reply.getLong(), "unique");
    }

    @Test
    void reservedPathsNameTheirDirectory() {
        assertTrue(UnnamedFiles.isReserved("//1f"));
        assertTrue(UnnamedFiles.isReserved("/a/b//2"));
        assertFalse(UnnamedFiles.isReserved("/a/b/2"));
        assertEquals("/", UnnamedFiles.directoryOf("//1f"));
        assertEquals("/a/b", UnnamedFiles.directoryOf("/a/b//2"));
    }
}
