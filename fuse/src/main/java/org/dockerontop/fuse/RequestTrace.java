package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.IN_HEADER_NODEID;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_OPCODE;
import static org.dockerontop.fuse.FuseAbi.IN_HEADER_UNIQUE;

import java.io.PrintStream;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;

/**
 * {@code -d} on our loop: one line per request and per reply on stderr, in libfuse's debug format
 * ({@code unique: 5, opcode: LOOKUP (1), nodeid: 1, insize: 46, pid: 812} and
 * {@code    unique: 5, error: -2 (ENOENT), outsize: 16}), so traces read the same on both loops.
 * Replies written by {@link DataRequests} itself (reads and writes) show only their request.
 */
final class RequestTrace {
    private static final PrintStream OUT = System.err;
    private static final int IN_HEADER_PID = 32;
    /** By opcode; "" where none. */
    private static final String[] NAMES = {"", "LOOKUP", "FORGET", "GETATTR", "SETATTR", "READLINK", "SYMLINK", "",
            "MKNOD", "MKDIR", "UNLINK", "RMDIR", "RENAME", "LINK", "OPEN", "READ", "WRITE", "STATFS", "RELEASE", "",
            "FSYNC", "SETXATTR", "GETXATTR", "LISTXATTR", "REMOVEXATTR", "FLUSH", "INIT", "OPENDIR", "READDIR",
            "RELEASEDIR", "FSYNCDIR", "GETLK", "SETLK", "SETLKW", "ACCESS", "CREATE", "INTERRUPT", "BMAP", "DESTROY",
            "IOCTL", "POLL", "NOTIFY_REPLY", "BATCH_FORGET", "FALLOCATE", "READDIRPLUS", "RENAME2", "LSEEK",
            "COPY_FILE_RANGE", "SETUPMAPPING", "REMOVEMAPPING", "SYNCFS", "TMPFILE", "STATX"};

    private RequestTrace() {
    }

    static void request(Pointer mem, int length) {
        int opcode = mem.getInt(IN_HEADER_OPCODE);
        String name = opcode >= 0 && opcode < NAMES.length && !NAMES[opcode].isEmpty() ? NAMES[opcode] : "UNKNOWN";
        OUT.println("unique: " + mem.getLong(IN_HEADER_UNIQUE) + ", opcode: " + name + " (" + opcode + "), nodeid: "
                + mem.getLong(IN_HEADER_NODEID) + ", insize: " + length + ", pid: " + mem.getInt(IN_HEADER_PID));
    }

    /** {@code error} is 0 or a negative errno; {@code outsize} includes the header. */
    static void reply(long unique, int error, int outsize) {
        OUT.println("   unique: " + unique + (error == 0 ? ", success" : ", error: " + error + " (" + Errno.name(-error) + ")")
                + ", outsize: " + outsize);
    }
}
