package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.OUT_HEADER_SIZE;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a large READ without the data entering user space, as libfuse 3 and fuse-overlayfs do:
 * the reply header is written into a pipe, the file's pages are spliced in behind it, and the pipe
 * is spliced to /dev/fuse as one message. A {@code pread} into our buffer and a {@code write} of it
 * copy every byte twice; this way the kernel copies it once (from the pipe into the request's
 * pages), or not at all when it can move a page.
 *
 * <p>One per worker (a pipe holds one reply at a time). The header must give the reply's length
 * before the data is known to be all there: a short splice (the end of the file, or a file whose
 * filesystem cannot splice) is read back out of the pipe, for the caller to complete with
 * {@code pread} and send from memory.
 */
final class SplicedReads {
    private static final Logger LOG = LoggerFactory.getLogger(SplicedReads.class);

    /** The libc calls for pipes and splicing (and a write from memory, which LibC lacks). */
    public interface Sys {
        int pipe2(@Out int[] fds, int flags);

        int fcntl(int fd, int cmd, int arg);

        long splice(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

        long write(int fd, Pointer buf, long count);

        long read(int fd, Pointer buf, long count);

        int close(int fd);
    }

    static final Sys SYS = LibraryLoader.create(Sys.class).failImmediately().load("c");
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int SPLICE_F_MOVE = 1;
    private static final int SPLICE_F_NONBLOCK = 2;
    private static final int PAGE = 4096;
    /** Smaller reads are cheaper copied than spliced (three system calls instead of two). */
    static final long MIN_SIZE = 32 * 1024;

    private final int device;
    private final int readEnd;
    private final int writeEnd;
    /** The largest read that fits in the pipe behind its header, whatever pages it starts and ends in. */
    private final long maxSize;
    private final Pointer header = Native.allocate(OUT_HEADER_SIZE);
    private final Pointer offset = Native.allocate(8);
    private boolean broken;

    private SplicedReads(int device, int readEnd, int writeEnd, long maxSize) {
        this.device = device;
        this.readEnd = readEnd;
        this.writeEnd = writeEnd;
        this.maxSize = maxSize;
    }

    /**
     * A pipe for replies of up to {@code largest} bytes of data (or as much as the system lets a
     * pipe hold), answering on the /dev/fuse descriptor {@code device}.
     *
     * @return null if no pipe of a useful size could be made (the caller copies instead)
     */
    static SplicedReads open(int device, long largest) {
        int[] fds = new int[2];
        if (SYS.pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
            LOG.warn("no pipe for splicing reads: {}", Errno.name(Native.errno()));
            return null;
        }
        // one page for the header, one more for data that does not start on a page boundary
        long want = largest + 2 * PAGE;
        int size = -1;
        for (long s = Long.highestOneBit(want - 1) << 1; s >= MIN_SIZE + 2 * PAGE && size < 0; s >>= 1) {
            size = SYS.fcntl(fds[0], F_SETPIPE_SZ, (int) s); // above pipe-max-size only as root
        }
        if (size < 0) {
            SYS.close(fds[0]);
            SYS.close(fds[1]);
            return null;
        }
        return new SplicedReads(device, fds[0], fds[1], Math.min(largest, size - 2L * PAGE));
    }

    /** Whether a READ of {@code size} bytes is to be spliced. */
    boolean takes(long size) {
        return size >= MIN_SIZE && size <= maxSize && !broken;
    }

    /**
     * Answers the READ {@code unique} with {@code size} bytes of {@code fd} at {@code position}, if
     * the file yields them all to the pipe.
     *
     * @return -1 if answered; otherwise how many bytes the file did yield, which are now in
     *         {@code mem} behind the reply header's place, for the caller to complete and send
     */
    long answer(int fd, long position, long size, long unique, Pointer mem) {
        try {
            return splice(fd, position, size, unique, mem);
        } catch (RuntimeException | Error e) {
            drain(mem); // never leave a part of this reply in front of the next
            throw e;
        }
    }

    private long splice(int fd, long position, long size, long unique, Pointer mem) {
        FuseAbi.outHeader(header, OUT_HEADER_SIZE + size, 0, unique);
        if (SYS.write(writeEnd, header, OUT_HEADER_SIZE) != OUT_HEADER_SIZE) {
            drain(mem);
            return 0;
        }
        offset.putLong(0, position);
        // nonblocking: a pipe fuller than we computed must not stall the worker for good
        long n = SYS.splice(fd, offset, writeEnd, null, size, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n == size) {
            long sent = SYS.splice(readEnd, null, device, null, OUT_HEADER_SIZE + size, SPLICE_F_MOVE);
            if (sent != OUT_HEADER_SIZE + size) {
                // ENOENT: interrupted, the kernel no longer waits for it (it took the message
                // out of the pipe all the same); ENODEV: unmounted
                int errno = sent < 0 ? Native.errno() : 0;
                if (errno != Errno.ENOENT && errno != Errno.ENODEV) {
                    LOG.error("splicing a reply to /dev/fuse: {} of {} bytes, {}", sent, OUT_HEADER_SIZE + size,
                            Errno.name(errno));
                }
                drain(mem);
            }
            return -1;
        }
        if (n < 0 && Native.errno() == Errno.EINVAL) {
            broken = true; // a layer filesystem that cannot splice: copy from now on
            LOG.info("the layer filesystem cannot splice; reads are copied");
        }
        long got = Math.max(n, 0);
        long back = SYS.read(readEnd, mem, OUT_HEADER_SIZE + got);
        if (back != OUT_HEADER_SIZE + got) {
            drain(mem);
            return 0; // the caller reads it all again
        }
        return got;
    }

    /** Closes the pipe (the worker is done). */
    void close() {
        SYS.close(readEnd);
        SYS.close(writeEnd);
    }

    /** Empties the pipe (into {@code mem}, which the caller overwrites next). */
    private void drain(Pointer mem) {
        while (SYS.read(readEnd, mem, maxSize) > 0) {
            // the pipe is nonblocking: ends with EAGAIN once empty
        }
    }
}
