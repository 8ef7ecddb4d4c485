package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Reading and writing regular files, and copy-up on write: kernel overlay vs the filesystem under test. */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityFileTest {

    @Test
    void readLowerFiles() throws Exception {
        Parity.check(o -> {
            for (String f : new String[] {"file.txt", "ro.txt", "owned.txt", "link", "dir/sub/deeper/d.txt", "hard2"}) {
                o.stat(f);
                o.readFile(f);
            }
            o.readFile("dangling");
            o.readFile("missing");
            o.readFile("dir");
            int fd = o.open("sparse", O_RDONLY);
            o.pread(fd, 8, (1 << 20) - 4);
            o.pread(fd, 8, 8 << 20);
            o.close(fd);
        });
    }

    /** SEEK_DATA and SEEK_HOLE find a sparse file's holes, in the base and in the upper layer. */
    @Test
    void seekDataAndHoleFindTheHoles() throws Exception {
        int seekData = 3, seekHole = 4;
        Parity.check(o -> {
            int fd = o.open("sparse", O_RDONLY);
            for (long at : new long[] {0, 1 << 20, (1 << 20) + 4096, 7 << 20}) {
                o.lseek(fd, at, seekData);
                o.lseek(fd, at, seekHole);
            }
            o.lseek(fd, 9 << 20, seekData); // past the end: ENXIO
            o.close(fd);
            fd = o.open("new-sparse", O_RDWR | O_CREAT, 0644);
            o.pwrite(fd, "tail".getBytes(StandardCharsets.UTF_8), 3 << 20);
            o.lseek(fd, 0, seekData);
            o.lseek(fd, 0, seekHole);
            o.lseek(fd, 3 << 20, seekHole);
            o.close(fd);
            // copied up, holes kept (the kernel overlay copies data in 1 MiB chunks, we to the
            // block: where the first hole after the data starts differs, the rest does not)
            fd = o.open("sparse", O_RDWR);
            o.lseek(fd, 0, seekData);
            o.lseek(fd, 0, seekHole);
            o.lseek(fd, 3 << 20, seekData);
            o.close(fd);
        });
    }

    @Test
    void writeToLowerFileCopiesItUpKeepingOwnerModeAndXattrs() throws Exception {
        Parity.check(o -> {
            for (String f : new String[] {"file.txt", "owned.txt", "xattr.txt", "exec.sh"}) {
                int fd = o.open(f, O_WRONLY);
                o.pwrite(fd, "HELLO".getBytes(StandardCharsets.UTF_8), 0);
                o.close(fd);
                o.stat(f);
                o.readFile(f);
                o.listxattr(f);
            }
        });
    }

    @Test
    void openForWriteWithoutWritingCopiesUpKeepingMtime() throws Exception {
        Parity.check(o -> {
            int fd = o.open("xattr.txt", O_RDWR);
            o.read(fd, 4);
            o.close(fd);
            o.stat("xattr.txt");
            o.getxattr("xattr.txt", "user.color");
        });
    }

    @Test
    void appendWithOAppend() throws Exception {
        Parity.check(o -> {
            int fd = o.open("file.txt", O_WRONLY | O_APPEND);
            o.write(fd, "more\n");
            // Linux appends even for pwrite on an O_APPEND fd
            o.pwrite(fd, "X\n".getBytes(StandardCharsets.UTF_8), 0);
            o.fstat(fd);
            o.close(fd);
            o.readFile("file.txt");
            fd = o.open("new.log", O_WRONLY | O_APPEND | O_CREAT, 0640);
            o.write(fd, "one\n");
            o.close(fd);
            fd = o.open("new.log", O_WRONLY | O_APPEND);
            o.write(fd, "two\n");
            o.close(fd);
            o.readFile("new.log");
        });
    }

    @Test
    void openWithOTrunc() throws Exception {
        Parity.check(o -> {
            int fd = o.open("file.txt", O_WRONLY | O_TRUNC);
            o.fstat(fd);
            o.write(fd, "new\n");
            o.close(fd);
            o.readFile("file.txt");
            fd = o.open("hard1", O_RDWR | O_TRUNC);
            o.close(fd);
            o.stat("hard1");
            o.stat("hard2");
            o.readFile("hard2");
            o.open("ro.txt", O_RDONLY | O_TRUNC);
            o.stat("ro.txt");
        });
    }

    @Test
    void truncateAndFtruncate() throws Exception {
        Parity.check(o -> {
            o.truncate("file.txt", 5);
            o.truncate("exec.sh", 100);
            o.truncate("dir", 0);
            o.truncate("missing", 0);
            int fd = o.open("ro.txt", O_RDWR);
            o.ftruncate(fd, 3);
            o.fstat(fd);
            o.close(fd);
            fd = o.open("owned.txt", O_RDONLY);
            o.ftruncate(fd, 0);
            o.close(fd);
            for (String f : new String[] {"file.txt", "exec.sh", "ro.txt", "owned.txt"}) {
                o.stat(f);
                o.readFile(f);
            }
        });
    }

    @Test
    void fallocateExtendsKeepsSizePunchesHolesAndZeroesRanges() throws Exception {
        int keepSize = 0x01, punchHole = 0x02, zeroRange = 0x10;
        Parity.check(o -> {
            int fd = o.open("file.txt", O_RDWR); // a lower file, copied up by this open
            o.fallocate(fd, 0, 0, 1 << 20);
            o.fstat(fd);
            o.fallocate(fd, keepSize, 0, 4 << 20);
            o.fstat(fd);
            o.pwrite(fd, "y".repeat(3 * 4096).getBytes(StandardCharsets.UTF_8), 0);
            o.fallocate(fd, punchHole | keepSize, 4096, 4096);
            o.pread(fd, 16, 4096 - 8);
            o.pread(fd, 16, 2 * 4096 - 8);
            o.fallocate(fd, zeroRange, 10, 20);
            o.pread(fd, 40, 0);
            o.fallocate(fd, punchHole, 0, 4096); // a hole must keep the size
            o.fallocate(fd, -1, 0, 1);
            o.fstat(fd);
            o.close(fd);
            o.readFile("file.txt");
            fd = o.open("ro.txt", O_RDONLY);
            o.fallocate(fd, 0, 0, 10);
            o.close(fd);
            o.stat("ro.txt");
        });
    }

    @Test
    void createFiles() throws Exception {
        Parity.check(o -> {
            o.writeFile("new.txt", "new\n");
            o.open("file.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
            o.open("dir/sub/deeper/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
            o.writeFile("dir2/made.txt", "in a 1000-owned lower dir\n");
            o.open("nodir/x", O_WRONLY | O_CREAT, 0644);
            o.open("file.txt/x", O_WRONLY | O_CREAT, 0644);
            o.stat("dir/sub/deeper");
            o.stat("dir/sub");
            o.ls("dir/sub/deeper");
        });
    }

    @Test
    void unlinkLowerFilesLeavesWhiteouts() throws Exception {
        Parity.check(o -> {
            o.unlink("file.txt");
            o.unlink("dir/a.txt");
            o.unlink("hard1");
            o.unlink("link");
            o.unlink("fifo");
            o.unlink("dir");
            o.unlink("missing");
            o.stat("file.txt");
            o.stat("hard2");
            o.ls("");
            o.ls("dir");
            o.writeFile("file.txt", "recreated\n");
            o.stat("file.txt");
            o.readFile("file.txt");
        });
    }

    @Test
    void fsyncAndFdatasync() throws Exception {
        Parity.check(o -> {
            int fd = o.open("file.txt", O_RDWR);
            o.write(fd, "synced");
            o.fsync(fd);
            o.fdatasync(fd);
            o.close(fd);
            fd = o.open("ro.txt", O_RDONLY);
            o.fsync(fd);
            o.close(fd);
            fd = o.open("dir", O_RDONLY | O_DIRECTORY);
            o.fsync(fd);
            o.close(fd);
            o.readFile("file.txt");
        });
    }

    @Test
    void unlinkedButOpenFilesKeepWorking() throws Exception {
        Parity.check(o -> {
            int lowerRw = o.open("file.txt", O_RDWR);
            int lowerRo = o.open("ro.txt", O_RDONLY);
            int upper = o.open("fresh.txt", O_RDWR | O_CREAT, 0644);
            o.write(upper, "fresh data\n");
            o.unlink("file.txt");
            o.unlink("ro.txt");
            o.unlink("fresh.txt");
            o.pwrite(lowerRw, "WRITTEN".getBytes(StandardCharsets.UTF_8), 0);
            o.pread(lowerRw, 64, 0);
            o.fstat(lowerRw);
            o.pread(lowerRo, 64, 0);
            o.write(upper, "more\n");
            o.pread(upper, 64, 0);
            o.fstat(upper);
            o.ftruncate(upper, 5);
            o.fstat(upper);
            o.ls("");
            o.close(lowerRw);
            o.close(lowerRo);
            o.close(upper);
        });
    }

    @Test
    void sparseFileCopyUpKeepsHoles() throws Exception {
        Parity.with().blocks().verify(o -> {
            int fd = o.open("sparse", O_WRONLY | O_APPEND);
            o.write(fd, "tail");
            o.close(fd);
            o.stat("sparse");
            fd = o.open("sparse", O_RDONLY);
            o.pread(fd, 8, 0);
            o.pread(fd, 8, (6 << 20) + 4092);
            o.close(fd);
        });
    }

    @Test
    void filesOver4GiB() throws Exception {
        Parity.with().blocks().verify(o -> {
            long g = 1L << 30;
            int fd = o.open("big.bin", O_RDWR | O_CREAT, 0644);
            o.pwrite(fd, "AT5G".getBytes(StandardCharsets.UTF_8), 5 * g);
            o.pwrite(fd, "ACROSS4G".getBytes(StandardCharsets.UTF_8), 4 * g - 4);
            o.fstat(fd);
            o.pread(fd, 8, 5 * g);
            o.pread(fd, 8, 4 * g - 4);
            o.pread(fd, 8, 3 * g);
            o.pread(fd, 8, 6 * g);
            o.lseek(fd, 0, SEEK_END);
            o.close(fd);
            o.truncate("big.bin", 5 * g + 2);
            o.stat("big.bin");
            fd = o.open("sparse", O_RDWR);
            o.pwrite(fd, "far".getBytes(StandardCharsets.UTF_8), 4 * g + 1);
            o.fstat(fd);
            o.close(fd);
        });
    }
}
