package org.dockerontop.fuse.parity;

import static org.dockerontop.fuse.parity.LibC.*;
import static org.junit.jupiter.api.Assertions.assertAll;

import java.nio.file.Path;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upper format is shared: an upper written through one implementation, unmounted and mounted with the
 * other shows exactly the same view. Both directions, starting from an empty upper and from one a
 * previous kernel session left (whiteouts, opaque dir).
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityRoundTripTest {

    /** Every kind of change the format has to carry. */
    static final Scenario CHANGES = o -> {
        o.writeFile("created.txt", "created\n");
        o.mkdir("newdir", 0750);
        o.writeFile("newdir/inside", "inside\n");
        int fd = o.open("file.txt", O_WRONLY | O_APPEND);
        o.write(fd, "appended\n");
        o.close(fd);
        o.chmod("exec.sh", 0700);
        o.chown("owned.txt", 2000, 2000);
        o.setxattr("xattr.txt", "user.added", "yes", 0);
        o.removexattr("xattr.txt", "user.color");
        o.utimens("root/public", 1_262_304_000L, 5, true);
        o.unlink("dir/a.txt");
        o.unlink("hard2");
        o.sh("rm -r tree/d1 && mkdir tree/d1 && echo fresh > tree/d1/only");
        o.rmdir("empty");
        o.mkdir("empty", 0700);
        o.rename("tree/d0/f0", "f0-renamed.txt");
        o.link("dir/sub/c.txt", "c.link");
        o.symlink("../file.txt", "dir/up-link");
        o.mkfifo("dir/sub/pipe", 0600);
        o.mknod("null", S_IFCHR | 0666, Sys.makedev(1, 3));
        o.mkdir("dir2/made", 0755);
        o.truncate("sparse", 3 << 20);
        o.unlink("dir/sub/deeper/d.txt");
        o.rmdir("dir/sub/deeper");
        o.unlink("link");
        o.mkdir("link", 0755);
    };

    @ParameterizedTest(name = "starting from {0} upper")
    @ValueSource(strings = {"an empty", "a previous session's"})
    void kernelWritesFuseReads(String start) throws Exception {
        Template upper = start.equals("an empty") ? Template.EMPTY : Layouts.UPPER;
        Path base = Parity.tempBase();
        try {
            long since = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
            LayerDirs d = Parity.prepare(base.resolve("rt"), Layouts.LOWER, upper);
            write(Overlay.kernel(), d, since);
            String upperBefore = TreeSnapshot.upper(d.upper().toString(), since, false);
            String byKernel = view(Overlay.kernel(), d, since);
            String byFuse = view(Overlay.underTest(), d, since);
            String upperAfter = TreeSnapshot.upper(d.upper().toString(), since, false);
            assertAll(
                    () -> Parity.same(byKernel, byFuse, "a kernel-written upper seen through the FUSE mount "
                            + "(expected = kernel's view, actual = fuse's)"),
                    () -> Parity.same(upperBefore, upperAfter, "only reading through the FUSE mount changed the upper"));
        } finally {
            Parity.cleanUp(base);
        }
    }

    @ParameterizedTest(name = "starting from {0} upper")
    @ValueSource(strings = {"an empty", "a previous session's"})
    void fuseWritesKernelReads(String start) throws Exception {
        Template upper = start.equals("an empty") ? Template.EMPTY : Layouts.UPPER;
        Path base = Parity.tempBase();
        try {
            long since = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
            LayerDirs byK = Parity.prepare(base.resolve("kernel"), Layouts.LOWER, upper);
            LayerDirs byF = Parity.prepare(base.resolve("fuse"), Layouts.LOWER, upper);
            write(Overlay.kernel(), byK, since);
            write(Overlay.underTest(), byF, since);
            String reference = view(Overlay.kernel(), byK, since);
            String kernelOnFuseUpper = view(Overlay.kernel(), byF, since);
            String fuseOnFuseUpper = view(Overlay.underTest(), byF, since);
            assertAll(
                    () -> Parity.same(reference, kernelOnFuseUpper, "the kernel reads a FUSE-written upper differently "
                            + "from the upper it writes itself (expected = kernel-written, actual = FUSE-written)"),
                    () -> Parity.same(kernelOnFuseUpper, fuseOnFuseUpper, "FUSE remounting its own upper differs from "
                            + "the kernel mounting it (expected = kernel, actual = fuse)"));
        } finally {
            Parity.cleanUp(base);
        }
    }

    private static void write(Overlay overlay, LayerDirs d, long since) throws Exception {
        Ops ops = new Ops(d.mnt(), since);
        ops.attach(overlay, d, overlay.mount(d));
        try {
            CHANGES.run(ops);
        } finally {
            ops.unmount();
        }
        for (String line : ops.log()) {
            // every change must have succeeded, or the comparison would be about something else
            if (line.matches(".* = E[A-Z]+$") || line.contains("= exit ") && !line.endsWith("= exit 0")) {
                throw new AssertionError(overlay.name() + " failed a round-trip step: " + line);
            }
        }
    }

    private static String view(Overlay overlay, LayerDirs d, long since) throws Exception {
        try (Overlay.Mounted m = overlay.mount(d)) {
            return TreeSnapshot.merged(d, since, false);
        }
    }
}
