package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** flock(2) and POSIX (fcntl) locks between two processes using the mount. */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityLockTest {

    @Test
    void flockBetweenProcesses() throws Exception {
        Parity.check(o -> {
            int fd = o.open("file.txt", O_RDONLY);
            o.flock(fd, LOCK_EX | LOCK_NB);
            o.sh("flock -n -E 42 file.txt -c 'echo got it'");
            o.sh("flock -n -s -E 42 file.txt -c 'echo got shared'");
            o.flock(fd, LOCK_UN);
            o.sh("flock -n -E 42 file.txt -c 'echo got it'");
            o.flock(fd, LOCK_SH | LOCK_NB);
            o.sh("flock -n -s -E 42 file.txt -c 'echo got shared'");
            o.sh("flock -n -E 42 file.txt -c 'echo got exclusive'");
            o.close(fd);
            o.sh("flock -n -E 42 file.txt -c 'echo got it after close'");
            // a lock taken by another process blocks ours, on a file created through the mount
            o.writeFile("lockfile", "");
            o.sh("(flock -x lockfile -c 'sleep 3' &) ; sleep 1; true");
            int fd2 = o.open("lockfile", O_RDWR);
            o.flock(fd2, LOCK_EX | LOCK_NB);
            o.close(fd2);
            Thread.sleep(3000);
            fd2 = o.open("lockfile", O_RDWR);
            o.flock(fd2, LOCK_EX | LOCK_NB);
            o.close(fd2);
        });
    }

    @Test
    void posixLocksBetweenProcesses() throws Exception {
        Parity.check(o -> {
            String py = "python3 -c \"import fcntl,sys\nf=open(sys.argv[1],'r+')\ntry:\n  fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB, 4, 0)\n  print('locked')\nexcept OSError as e:\n  print('refused', e.errno)\n\" ";
            try (FileChannel ch = FileChannel.open(Path.of(o.path("file.txt")), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                FileLock l = ch.tryLock(0, 4, false);
                o.note("java lock bytes 0-3", l != null);
                o.sh(py + "file.txt");
                l.release();
                o.sh(py + "file.txt");
                FileLock l2 = ch.tryLock(100, 4, false);
                o.note("java lock bytes 100-103", l2 != null);
                o.sh(py + "file.txt");
            }
        });
    }
}
