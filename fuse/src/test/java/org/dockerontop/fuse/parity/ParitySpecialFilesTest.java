package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Hard links, symlinks, fifos, device nodes and sockets: kernel vs the filesystem under test. */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParitySpecialFilesTest {

    /** link(2) of a lower file copies it up first; nlink is what the kernel overlay reports at each step. */
    @Test
    void hardLinkOfLowerFile() throws Exception {
        Parity.check(o -> {
            o.link("file.txt", "file.link");
            o.stat("file.txt");
            o.stat("file.link");
            int fd = o.open("file.link", O_WRONLY | O_APPEND);
            o.write(fd, "via link\n");
            o.close(fd);
            o.readFile("file.txt");
            o.link("hard1", "hard3");
            o.stat("hard1");
            o.stat("hard2");
            o.stat("hard3");
            o.unlink("file.txt");
            o.stat("file.link");
            o.link("dir", "dir.link");
            o.link("missing", "x");
            o.link("ro.txt", "exec.sh");
            o.link("link", "link2");
            o.readlink("link2");
            o.link("fifo", "dir/fifo2");
            o.stat("fifo");
        });
    }

    @Test
    void symlinks() throws Exception {
        Parity.check(o -> {
            o.symlink("file.txt", "newlink");
            o.symlink("/absolute/path", "dir/abs");
            o.symlink("x".repeat(1000), "longlink");
            o.symlink("a", "file.txt");
            o.readlink("newlink");
            o.readlink("dir/abs");
            o.readlink("longlink");
            o.readlink("link");
            o.readlink("file.txt");
            o.stat("newlink");
            o.readFile("newlink");
            o.readFile("link");
            int fd = o.open("link", O_WRONLY | O_APPEND);
            o.write(fd, "through symlink\n");
            o.close(fd);
            o.readFile("file.txt");
            o.open("link", O_RDONLY | O_NOFOLLOW);
            o.writeFile("dangling", "created through a dangling symlink\n");
        });
    }

    @Test
    void fifos() throws Exception {
        Parity.check(o -> {
            o.mkfifo("newfifo", 0640);
            o.stat("newfifo");
            int r = o.open("fifo", O_RDONLY | O_NONBLOCK);
            int w = o.open("fifo", O_WRONLY | O_NONBLOCK);
            o.write(w, "through the lower fifo");
            o.read(r, 100);
            o.close(w);
            o.close(r);
            r = o.open("newfifo", O_RDONLY | O_NONBLOCK);
            w = o.open("newfifo", O_WRONLY | O_NONBLOCK);
            o.write(w, "through the new fifo");
            o.read(r, 100);
            o.close(w);
            o.close(r);
            o.chmod("fifo", 0600);
            o.stat("fifo");
        });
    }

    @Test
    void deviceNodes() throws Exception {
        Parity.check(o -> {
            o.mknod("null", S_IFCHR | 0666, Sys.makedev(1, 3));
            o.mknod("dir/zero", S_IFCHR | 0640, Sys.makedev(1, 5));
            o.mknod("file.txt", S_IFCHR | 0666, Sys.makedev(1, 3));
            o.mknod("regular", S_IFREG | 0600, 0);
            o.stat("null");
            o.stat("regular");
            int fd = o.open("null", O_WRONLY);
            o.write(fd, "discarded");
            o.close(fd);
            fd = o.open("dir/zero", O_RDONLY);
            o.read(fd, 4);
            o.close(fd);
        });
    }

    @Test
    void aWhiteoutCannotBeMadeThroughTheMount() throws Exception {
        Parity.check(o -> {
            o.mknod("wo", S_IFCHR | 0644, 0); // the kernel overlay: EPERM, nothing created
            o.stat("wo");
            o.mknod("file.txt", S_IFCHR | 0644, 0);
            o.stat("file.txt");
            o.mknod("dir/wo", S_IFCHR | 0600, Sys.makedev(0, 0));
            o.ls("dir");
        });
    }

    @Test
    void unixSockets() throws Exception {
        Parity.check(o -> {
            Path p = Path.of(o.path("sock"));
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(p));
                o.note("bind sock", "ok");
                o.stat("sock");
                try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(p));
                     SocketChannel accepted = server.accept()) {
                    client.write(ByteBuffer.wrap("ping".getBytes()));
                    ByteBuffer got = ByteBuffer.allocate(4);
                    while (got.hasRemaining() && accepted.read(got) >= 0) { }
                    o.note("received", new String(got.array()));
                }
            } catch (Exception e) {
                o.note("socket", e.toString().replace(o.root().toString(), "$MNT"));
            }
            o.stat("sock");
            o.ls("");
            o.unlink("sock");
        });
    }
}
