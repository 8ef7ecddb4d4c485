package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.*;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import jnr.ffi.Pointer;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.LibC;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Sys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #399: copy_file_range from a read-only lower file failed. cp, Python's
 * os.copy_file_range, Java's transferTo and a direct copy_file_range(2) from a read-only (0444) lower
 * file opened O_RDONLY must copy the bytes as on the kernel overlay, and leave the source untouched.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CopyFileRangeRegressionTest {

    @Test
    void copyFileRangeFromReadOnlyLowerFile() throws Exception {
        Parity.check(o -> {
            o.sh("cp --reflink=never ro.txt copy-cp.txt && cat copy-cp.txt");
            o.sh("cp --reflink=never sparse copy-sparse && cmp sparse copy-sparse && echo same");
            o.sh("python3 -c \"import os\nsrc=os.open('ro.txt', os.O_RDONLY)\ndst=os.open('copy-py.txt', os.O_WRONLY|os.O_CREAT, 0o644)\n"
                    + "print(os.copy_file_range(src, dst, 100))\nprint(os.copy_file_range(src, dst, 100, 2, 50))\"");
            o.readFile("copy-py.txt");
            try (FileChannel in = FileChannel.open(Path.of(o.path("ro.txt")), StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(Path.of(o.path("copy-java.txt")), StandardOpenOption.WRITE,
                         StandardOpenOption.CREATE_NEW)) {
                o.note("transferTo", in.transferTo(0, in.size(), out));
            }
            o.readFile("copy-java.txt");
            LibC c = LibC.INSTANCE;
            int in = o.open("ro.txt", O_RDONLY);
            int out = o.open("copy-raw.txt", O_WRONLY | O_CREAT, 0600);
            long n = c.copy_file_range(in, null, out, null, 1000, 0);
            o.note("copy_file_range", n < 0 ? Sys.name(LibC.errno()) : n);
            // into a lower file: copies it up first
            int lowerOut = o.open("file.txt", O_WRONLY);
            Pointer offOut = jnr.ffi.Runtime.getRuntime(c).getMemoryManager().allocateDirect(8);
            offOut.putLong(0, 6);
            n = c.copy_file_range(in, null, lowerOut, offOut, 4, 0);
            o.note("copy_file_range into a lower file", n < 0 ? Sys.name(LibC.errno()) : n);
            o.close(lowerOut);
            o.close(out);
            o.close(in);
            o.readFile("copy-raw.txt");
            o.readFile("file.txt");
            o.stat("ro.txt");
        });
    }
}
