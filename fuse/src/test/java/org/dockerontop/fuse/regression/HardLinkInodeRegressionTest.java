package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.O_CREAT;
import static org.dockerontop.fuse.parity.LibC.O_RDONLY;
import static org.dockerontop.fuse.parity.LibC.O_RDWR;

import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Parity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The names of a file with several links in the upper layer are one inode to the kernel, as on
 * the kernel overlay: our request loop answers every name of such a file with one node, so they
 * share one page cache and one set of cached attributes. Under libfuse 2's path API each name had
 * a node of its own, and only invalidations after the fact kept them in step: a store through a
 * shared mapping of one name stayed invisible through the others until it was written back
 * (findings 20 and 28). Not run on {@code loop=libfuse}, which still has one node per name.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HardLinkInodeRegressionTest {

    @Test
    void aStoreThroughAMappingOfOneNameIsReadThroughTheOthersAtOnce() throws Exception {
        Parity.check(o -> {
            o.writeFile("a", "0123456789\n");
            o.link("a", "b");
            o.link("a", "dir/c");
            o.readFile("b"); // cached through b before the store
            int fb = o.open("b", O_RDONLY);
            o.pread(fb, 100, 0);
            try (FileChannel ch = FileChannel.open(Path.of(o.path("a")), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 11);
                m.put(0, (byte) 'X');
                m.put(9, (byte) 'Y');
                o.pread(fb, 100, 0);
                o.readFile("b");
                o.readFile("dir/c");
                Unmap.now(m);
            }
            o.close(fb);
        });
    }

    @Test
    void aMappingOfAnUpperFileLinkedBeforeTheMountIsSharedToo() throws Exception {
        Parity.check(o -> {
            o.writeFile("u", "upper file\n");
            o.link("u", "u2");
            o.remount(); // both names now come from a lookup of an upper file with two links
            o.readFile("u2");
            try (FileChannel ch = FileChannel.open(Path.of(o.path("u")), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 5);
                m.put(0, "UPPER".getBytes(StandardCharsets.US_ASCII));
                o.readFile("u2");
                Unmap.now(m);
            }
            o.stat("u");
            o.stat("u2");
        });
    }

    @Test
    void anOpenFileLosingOneOfItsNamesKeepsWorkingThroughTheOther() throws Exception {
        Parity.check(o -> {
            int fd = o.open("f", O_CREAT | O_RDWR, 0644);
            o.write(fd, "one\n");
            o.link("f", "g");
            o.unlink("f");
            o.fstat(fd);
            o.pwrite(fd, "TWO".getBytes(StandardCharsets.US_ASCII), 0);
            o.readFile("g");
            o.stat("g");
            o.rename("g", "h");
            o.pwrite(fd, "3".getBytes(StandardCharsets.US_ASCII), 3);
            o.readFile("h");
            o.fstat(fd);
            o.close(fd);
            o.ls("");
        });
    }
}
