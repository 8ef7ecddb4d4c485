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
    /**
     * The kernel forgets a directory once it holds no dentry below it, though a file named there
     * lives on through another name (drop_caches here; memory pressure in real life): the file's
     * node kept that directory's name as its path, the directory's node was gone, and every request
     * on the file that needs its path (stat, open, chmod, xattrs) failed with ENOENT once the name
     * there was removed (h-val2, findings 33).
     */
    @Test
    void aFileKeepsItsPathWhenTheKernelForgetsTheDirectoryOfItsOtherName() throws Exception {
        Parity.check(o -> {
            o.mkdir("d1", 0755);
            o.mkdir("d2", 0755);
            o.writeFile("d1/a", "hello\n");
            o.link("d1/a", "d2/b");
            int fd = o.open("d2/b", O_RDWR);
            dropCaches();
            o.unlink("d1/a");
            o.fstat(fd);
            o.stat("d2/b");
            o.readFile("d2/b");
            o.chmod("d2/b", 0600);
            o.pwrite(fd, "J".getBytes(StandardCharsets.US_ASCII), 0);
            o.readFile("d2/b");
            o.close(fd);
            o.ls("d1");
            o.ls("d2");
        });
    }

    private static void dropCaches() throws Exception {
        // twice: a dentry the first pass finds referenced is only aged, the second frees it
        for (int i = 0; i < 2; i++) {
            java.nio.file.Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
        }
        // FORGET is queued, not waited for: give the server time to serve it before the next
        // lookup of the directory (which would otherwise count one more lookup of the old node)
        Thread.sleep(1000);
    }
}
