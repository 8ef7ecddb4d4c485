package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.FUSE_COPY_FILE_RANGE;
import static org.dockerontop.fuse.FuseAbi.FUSE_COPY_FILE_RANGE_64;
import static org.dockerontop.fuse.FuseAbi.FUSE_LSEEK;
import static org.dockerontop.fuse.FuseAbi.FUSE_READ;
import static org.dockerontop.fuse.FuseAbi.FUSE_WRITE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_LEN;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UNIQUE;
import static org.dockerontop.fuse.FuseAbi.IO_IN_FH;
import static org.dockerontop.fuse.FuseAbi.IO_IN_LEN;
import static org.dockerontop.fuse.FuseAbi.IO_IN_OFFSET;
import static org.dockerontop.fuse.FuseAbi.IO_IN_SIZE;
import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;
import static org.dockerontop.fuse.FuseAbi.outHeader;
import static org.dockerontop.fuse.FuseAbi.WRITE_OUT_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one worker's READ, WRITE, LSEEK and COPY_FILE_RANGE requests in Java, straight from its request buffer, instead
 * of handing them to libfuse: the data goes between that buffer and the layer file with one
 * {@code pread}/{@code pwrite}, and the reply is one {@code write} to /dev/fuse. Through libfuse the
 * same request cost a second JVM-to-C call ({@code fuse_session_process_buf}), a C-to-JVM callback,
 * a {@code malloc}ed read buffer and libfuse's path building; section 15 of the findings.
 *
 * <p>What the callbacks did is kept: an unknown file handle is EBADF, a write to a file with
 * several names drops the other names' cached data ({@link OverlayFs#beginDataChange}; the loop's
 * {@code afterRequest} finishes it), an unexpected failure is EIO and a log line, nothing escapes.
 *
 * <p>Why libfuse does not need to see these requests: the mount sets {@code flag_nullpath_ok}, so
 * libfuse 2.9 keeps no state for a READ or WRITE (it builds the path under a read lock of its node
 * tree and frees it again; our handles do not depend on that lock: a copy-up switches a descriptor
 * with dup2). An INTERRUPT for one of these requests finds no request of that id in libfuse's
 * list and is queued; the next request libfuse processes takes it off the queue and answers it
 * EAGAIN, which the kernel ignores (ENOENT) once our reply is in, or, while we still serve the
 * request, answers by sending the INTERRUPT again, as it does when libfuse itself sees the
 * INTERRUPT first. Nothing is interrupted either way: the mount does not set {@code intr}, and a
 * pread/pwrite of a local file is not interruptible.
 *
 * <p>LSEEK (SEEK_DATA and SEEK_HOLE; the kernel answers the other whences itself) is one that
 * libfuse 2.9 does not know: it would answer ENOSYS, after which the kernel reports every file as
 * data to its end, so that sparse files lose their holes when copied out of the mount (the kernel
 * overlay asks the layer file). It is answered with lseek(2) of the handle's descriptor, which
 * moves nothing that matters: our reads and writes are positional. COPY_FILE_RANGE is another:
 * without it the kernel copies through its page cache, a READ per MiB of the source and a WRITE
 * (or a passthrough write) of the destination; with it, copy_file_range(2) between the two layer
 * files copies in the kernel (a reflink where the upper file system has them). Where that is
 * refused across file systems (EXDEV, EOPNOTSUPP) the kernel falls back to its own copy. Its
 * 64-bit form (COPY_FILE_RANGE_64), which the kernel tries first on every mount, is served alike.
 *
 * <p>A request not laid out as expected (a protocol older than 7.9, a read larger than the buffer)
 * is left to libfuse.
 */
final class DataRequests {
    private static final Logger LOG = LoggerFactory.getLogger(DataRequests.class);


    /** struct fuse_lseek_in: fh, offset, whence, padding; fuse_lseek_out: offset. */
    private static final int LSEEK_IN_OFFSET = IN_HEADER_SIZE + 8;
    private static final int LSEEK_IN_WHENCE = IN_HEADER_SIZE + 16;
    private static final int LSEEK_IN_LEN = 24;
    private static final int LSEEK_OUT_SIZE = 8;

    /** struct fuse_copy_file_range_in: fh_in, off_in, nodeid_out, fh_out, off_out, len, flags. */
    private static final int CFR_IN_OFF_IN = IN_HEADER_SIZE + 8;
    private static final int CFR_IN_FH_OUT = IN_HEADER_SIZE + 24;
    private static final int CFR_IN_OFF_OUT = IN_HEADER_SIZE + 32;
    private static final int CFR_IN_LEN = IN_HEADER_SIZE + 40;
    private static final int CFR_IN_SIZE = 56;

    /** A WRITE's data: after the request header and the fuse_write_in. */
    private static final int WRITE_DATA = IN_HEADER_SIZE + IO_IN_LEN;

    private final OverlayFs fs;
    private final int device;
    private final Pointer mem;
    private final long capacity;
    /** Where a READ's data goes: after the reply header, in the request buffer (the request is decoded by then). */
    private final Pointer readData;
    private final Pointer writeData;
    /** A reply header and, for a WRITE, its fuse_write_out. */
    private final Pointer reply = Native.allocate(OUT_HEADER_SIZE + WRITE_OUT_SIZE);
    /** copy_file_range's two offsets (loff_t), in and out. */
    private final Pointer offsets = Native.allocate(16);
    /** Large READs go by splice (null: no pipe could be had). */
    private final SplicedReads spliced;

    /** Serves requests read into {@code mem} ({@code capacity} bytes), answering on the /dev/fuse descriptor {@code device}. */
    DataRequests(OverlayFs fs, int device, Pointer mem, long capacity) {
        this.fs = fs;
        this.device = device;
        this.mem = mem;
        this.capacity = capacity;
        this.readData = mem.slice(OUT_HEADER_SIZE);
        this.writeData = mem.slice(WRITE_DATA);
        this.spliced = SplicedReads.open(device, capacity - OUT_HEADER_SIZE);
    }

    /** Releases what the worker held (its pipe). */
    void close() {
        if (spliced != null) {
            spliced.close();
        }
    }

    /**
     * Answers the request of {@code length} bytes in the buffer if it is a READ or WRITE this
     * class serves.
     *
     * @return false if it is not, and libfuse is to process it
     */
    boolean served(int opcode, int length) {
        if (opcode == FUSE_READ) {
            return read(length);
        }
        if (opcode == FUSE_WRITE) {
            return write(length);
        }
        if (opcode == FUSE_LSEEK) {
            return lseek(length);
        }
        if (opcode == FUSE_COPY_FILE_RANGE || opcode == FUSE_COPY_FILE_RANGE_64) {
            return copyFileRange(length);
        }
        return false;
    }

    private boolean copyFileRange(int length) {
        if (length < IN_HEADER_SIZE + CFR_IN_SIZE) {
            return false;
        }
        long unique = mem.getLong(IN_HEADER_UNIQUE);
        long fhIn = mem.getLong(IO_IN_FH);
        long fhOut = mem.getLong(CFR_IN_FH_OUT);
        offsets.putLong(0, mem.getLong(CFR_IN_OFF_IN));
        offsets.putLong(8, mem.getLong(CFR_IN_OFF_OUT));
        // at most what copy_file_range(2) copies in one call; that count also fits both replies
        // alike: fuse_write_out's 32-bit size plus zero padding is, little-endian, the 64-bit
        // request's fuse_copy_file_range_out.bytes_copied
        long len = Math.min(mem.getLong(CFR_IN_LEN), 0x7fff_f000L);
        long n;
        try {
            Handle in = fs.handles().get(fhIn);
            Handle out = fs.handles().get(fhOut);
            if (in == null || out == null || !out.upper) {
                n = -Errno.EBADF;
            } else {
                boolean linked = beginDataChange(out);
                n = Native.LIBC.copy_file_range(in.fd, offsets, out.fd, offsets.slice(8), len, 0);
                n = n < 0 ? -Native.errno() : n;
                endDataChange(linked);
            }
        } catch (Throwable t) {
            n = failure(t, "copy_file_range", fhOut);
        }
        answerWritten(unique, n);
        return true;
    }

    /**
     * Before a change of {@code h}'s data: for a file with several names, {@link OverlayFs#beginDataChange}
     * (libfuse's loop keeps a kernel node per name, each with its own cache; on ours, which keeps
     * one node per file, it does nothing). Returns whether {@link #endDataChange} must follow.
     */
    private boolean beginDataChange(Handle h) {
        boolean linked = h.linked;
        if (linked) {
            fs.beginDataChange(h);
        }
        return linked;
    }

    /** After the change that {@link #beginDataChange} answered {@code linked} for. */
    private void endDataChange(boolean linked) {
        if (linked) {
            fs.dataChanged();
        }
    }

    /** Answers a WRITE-like request: {@code n} bytes written (fuse_write_out), or -errno. */
    private void answerWritten(long unique, long n) {
        if (n < 0) {
            error(unique, (int) n);
        } else {
            outHeader(reply, OUT_HEADER_SIZE + WRITE_OUT_SIZE, 0, unique);
            reply.putInt(OUT_HEADER_SIZE, (int) n); // fuse_write_out.size
            reply.putInt(OUT_HEADER_SIZE + 4, 0);
            send(reply, OUT_HEADER_SIZE + WRITE_OUT_SIZE);
        }
    }

    private boolean lseek(int length) {
        if (length < IN_HEADER_SIZE + LSEEK_IN_LEN) {
            return false;
        }
        long unique = mem.getLong(IN_HEADER_UNIQUE);
        long fh = mem.getLong(IO_IN_FH);
        long offset = mem.getLong(LSEEK_IN_OFFSET);
        int whence = mem.getInt(LSEEK_IN_WHENCE);
        long n;
        try {
            Handle h = fs.handles().get(fh);
            if (h == null) {
                n = -Errno.EBADF;
            } else {
                n = Native.LIBC.lseek(h.fd, offset, whence);
                if (n < 0) {
                    n = -Native.errno(); // ENXIO past the end, as the layer file answers
                }
            }
        } catch (Throwable t) {
            n = failure(t, "lseek", fh);
        }
        if (n < 0) {
            error(unique, (int) n);
        } else {
            outHeader(reply, OUT_HEADER_SIZE + LSEEK_OUT_SIZE, 0, unique);
            reply.putLong(OUT_HEADER_SIZE, n);
            send(reply, OUT_HEADER_SIZE + LSEEK_OUT_SIZE);
        }
        return true;
    }

    private boolean read(int length) {
        long size = mem.getInt(IO_IN_SIZE) & 0xffffffffL;
        if (length < IN_HEADER_SIZE + IO_IN_LEN || OUT_HEADER_SIZE + size > capacity) {
            return false;
        }
        long unique = mem.getLong(IN_HEADER_UNIQUE);
        long fh = mem.getLong(IO_IN_FH);
        long offset = mem.getLong(IO_IN_OFFSET);
        long n;
        try {
            Handle h = fs.handles().get(fh);
            if (h == null) {
                n = -Errno.EBADF;
            } else if (spliced != null && spliced.takes(size)) {
                long got = spliced.answer(h.fd, offset, size, unique, mem);
                if (got < 0) {
                    return true; // answered
                }
                // the end of the file (or no splicing there): the rest by pread, sent from memory
                long rest = OverlayIo.read(h.fd, got == 0 ? readData : readData.slice(got), size - got, offset + got);
                n = rest < 0 ? (got > 0 ? got : rest) : got + rest;
            } else {
                n = OverlayIo.read(h.fd, readData, size, offset);
            }
        } catch (Throwable t) {
            n = failure(t, "read", fh);
        }
        if (n < 0) {
            error(unique, (int) n);
        } else {
            // the data is in place behind the header: one write
            outHeader(mem, OUT_HEADER_SIZE + n, 0, unique);
            send(mem, OUT_HEADER_SIZE + n);
        }
        return true;
    }

    private boolean write(int length) {
        long size = mem.getInt(IO_IN_SIZE) & 0xffffffffL;
        // the data is the rest of the request; anything else (an old protocol's shorter
        // fuse_write_in) is libfuse's to decode
        if (length != WRITE_DATA + size || mem.getInt(IN_HEADER_LEN) != length) {
            return false;
        }
        long unique = mem.getLong(IN_HEADER_UNIQUE);
        long fh = mem.getLong(IO_IN_FH);
        long offset = mem.getLong(IO_IN_OFFSET);
        long n;
        try {
            Handle h = fs.handles().get(fh);
            if (h == null) {
                n = -Errno.EBADF;
            } else {
                boolean linked = beginDataChange(h);
                n = OverlayIo.write(h.fd, writeData, size, offset);
                endDataChange(linked);
            }
        } catch (Throwable t) {
            n = failure(t, "write", fh);
        }
        answerWritten(unique, n);
        return true;
    }

    private static long failure(Throwable t, String op, long fh) {
        if (t instanceof ErrnoException) {
            return -((ErrnoException) t).errno();
        }
        LOG.error("{} on handle {}: unexpected failure, answering EIO", op, fh, t);
        return -Errno.EIO;
    }

    /** A reply of the header alone, with {@code error} (a negative errno). */
    private void error(long unique, int error) {
        outHeader(reply, OUT_HEADER_SIZE, error, unique);
        send(reply, OUT_HEADER_SIZE);
    }

    private void send(Pointer buf, long length) {
        long n = SplicedReads.SYS.write(device, buf, length);
        if (n < 0) {
            int errno = Native.errno();
            // ENOENT: the request was interrupted and the kernel no longer waits for it; ENODEV:
            // the mount is gone (libfuse ignores both as well)
            if (errno != Errno.ENOENT && errno != Errno.ENODEV) {
                LOG.error("writing a reply to /dev/fuse failed: {}", Errno.name(errno));
            }
        }
    }
}
