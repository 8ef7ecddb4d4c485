package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command: background start, clean exits, clear errors. */
class FuseMainTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void needsFuse() {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
    }

    private static Optional<ProcessHandle> server(Path mnt) {
        String needle = mnt.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(FuseMain.class.getName())
                        && String.join(" ", a).contains(needle)).orElse(false))
                .findFirst();
    }

    private static void waitGone(ProcessHandle p) throws Exception {
        p.onExit().get(20, TimeUnit.SECONDS);
    }

    @Test
    void returnsOnceMountedAndExitsWhenUnmounted() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("f"), "x");
            m.mount();
            assertTrue(m.isMounted(), "fstype " + FuseMain.FSTYPE + " in mountinfo");
            assertEquals("x", Files.readString(m.mnt.resolve("f")));
            ProcessHandle p = server(m.mnt).orElseThrow();
            assertTrue(p.isAlive());
            assertTrue(p.parent().map(pp -> pp.pid() != ProcessHandle.current().pid()).orElse(true),
                    "the server is detached from its starter");
            m.unmount();
            waitGone(p);
            assertFalse(m.isMounted());
        }
    }

    @Test
    void sigtermUnmounts() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            m.mount();
            ProcessHandle p = server(m.mnt).orElseThrow();
            p.destroy(); // SIGTERM
            waitGone(p);
            assertFalse(m.isMounted());
        }
    }

    /** As the kernel overlay and fuse-overlayfs (libfuse 3) do; libfuse 2 refuses unless told. */
    @Test
    void mountsOverANonEmptyMountPoint() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("f"), "x");
            Files.writeString(m.mnt.resolve("hidden"), "under the mount");
            m.mount();
            assertTrue(m.isMounted());
            assertEquals("x", Files.readString(m.mnt.resolve("f")));
            assertFalse(Files.exists(m.mnt.resolve("hidden")));
            m.unmount();
            assertEquals("under the mount", Files.readString(m.mnt.resolve("hidden")));
        }
    }

    @Test
    void mountHelperFormWithGenericOptions() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            OverlayMount.Result r = OverlayMount.command("myvolume", m.mnt.toString(), "-o",
                    "rw,noatime,nosuid," + m.options() + ",relatime,_netdev");
            assertEquals(0, r.status(), r.output());
            assertTrue(m.isMounted());
            String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.contains(m.mnt.toString())).findFirst().orElseThrow();
            assertTrue(line.contains(" - fuse.docker-on-top-fuse myvolume "), line);
            assertTrue(line.contains("nosuid"), line);
        }
    }

    @Test
    void escapedCommaInALayerPath() throws Exception {
        Path odd = Files.createDirectories(tmp.resolve("odd,dir:x"));
        try (OverlayMount m = new OverlayMount(odd)) {
            Files.writeString(m.lower.resolve("f"), "odd");
            String esc = m.options().replace(",", "\\,").replace(":", "\\:")
                    .replace("\\,upperdir=", ",upperdir=").replace("\\,workdir=", ",workdir=");
            OverlayMount.Result r = OverlayMount.command("-o", esc, m.mnt.toString());
            assertEquals(0, r.status(), r.output());
            assertEquals("odd", Files.readString(m.mnt.resolve("f")));
        }
    }

    @Test
    void badLayersFailClearlyWithoutMounting() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        OverlayMount.Result r = OverlayMount.command("-o", "lowerdir=" + tmp.resolve("nope") + ",upperdir=" + tmp
                + "/u,workdir=" + tmp + "/w", mnt.toString());
        assertNotEquals(0, r.status());
        assertTrue(r.output().contains("does not exist"), r.output());
        r = OverlayMount.command("-o", "upperdir=/tmp,workdir=/tmp", mnt.toString());
        assertNotEquals(0, r.status());
        assertTrue(r.output().contains("missing lowerdir"), r.output());
        assertFalse(OverlayMount.isOurMount(mnt));
    }

    @Test
    void aServerThatFailsToStartReportsItsErrorAndStatus() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.work.resolve("work"), "not a directory"); // our scratch dir cannot be made
            OverlayMount.Result r = OverlayMount.command("-o", m.options(), m.mnt.toString());
            assertNotEquals(0, r.status());
            assertTrue(r.output().contains("cannot prepare workdir"), r.output());
            assertFalse(m.isMounted());
        }
    }
}
