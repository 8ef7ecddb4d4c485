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
            m.mountInBackground();
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
    void aWorkdirOnAnotherFilesystemThanTheUpperIsRefused() throws Exception {
        // the kernel overlay refuses it too: copy-ups and whiteouts are renamed from the workdir into the upper
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path lower = Files.createDirectories(tmp.resolve("l"));
        Path upper = Files.createDirectories(tmp.resolve("u"));
        Path otherFs = Files.createDirectories(tmp.resolve("tmpfs"));
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "tmpfs", otherFs.toString()).inheritIO().start().waitFor());
        try {
            Path work = Files.createDirectories(otherFs.resolve("w"));
            OverlayMount.Result r = OverlayMount.command("-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work,
                    mnt.toString());
            assertNotEquals(0, r.status());
            assertTrue(r.output().contains("must be on the same filesystem as upperdir"), r.output());
            assertFalse(OverlayMount.isOurMount(mnt));
        } finally {
            new ProcessBuilder("umount", otherFs.toString()).inheritIO().start().waitFor();
        }
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

    /**
     * Our loop mounts with mount(2), which an unprivileged user may not call: without {@code loop=}
     * the server then mounts through libfuse and the set-user-ID fusermount, as before; with
     * {@code loop=java} it says why it cannot. Run as nobody in a private mount namespace where
     * /dev/fuse is open to all and fuse.conf has {@code user_allow_other}, as on a stock host.
     */
    @Test
    void anUnprivilegedUserMountsThroughFusermount() throws Exception {
        try (OverlayMount m = new OverlayMount(tmp)) {
            Files.writeString(m.lower.resolve("f"), "from the base");
            Path dev = tmp.resolve("fuse-dev");
            Path conf = Files.writeString(tmp.resolve("fuse.conf"), "user_allow_other\n");
            assertEquals(0, OverlayMount.sh(false, "mknod -m 0666 " + dev + " c 10 229 && chmod 0755 " + tmp
                    + " && chown -R 65534:65534 " + m.lower + " " + m.upper + " " + m.work + " " + m.mnt).status());
            String nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
            java.util.List<String> server = readableCopy(OverlayMount.serverCommand(), tmp.resolve("cp"));
            String options = " -o " + m.options() + " " + m.mnt;
            String inside = "mount --bind " + dev + " /dev/fuse && mount --bind " + conf + " /etc/fuse.conf || exit 9\n"
                    + nobody + shellWords(server) + " -o loop=java" + options + "\n"
                    + "echo \"java=$?\"\n"
                    + nobody + shellWords(server) + " -o log=" + m.work.resolve("server.log") + options + "\n"
                    + "echo \"default=$?\"\n"
                    + "cat " + m.mnt.resolve("f") + "; echo\n"
                    + "grep -c \" " + m.mnt + " .*[ ,]user_id=65534,\" /proc/self/mountinfo\n"
                    // root's new entries cannot be given to root by nobody's server: refused, none left
                    + "touch " + m.mnt.resolve("g") + " 2>/dev/null; mkdir " + m.mnt.resolve("d") + " 2>/dev/null\n"
                    + "echo \"upper=$(ls -A " + m.upper + " | tr '\\n' ' ')$(ls -A " + m.work + "/work | tr '\\n' ' ')end\"\n"
                    + nobody + "fusermount -u " + m.mnt + "\n"
                    + "echo \"unmounted=$?\"\n";
            OverlayMount.Result r = OverlayMount.sh(false,
                    "unshare -m --propagation private sh -c '" + inside.replace("'", "'\\''") + "'");
            String out = r.output();
            assertTrue(out.contains("mount(2) of " + m.mnt + " failed: EPERM"), out);
            assertTrue(out.contains("needs root"), out);
            assertTrue(out.contains("java=1"), out);
            assertTrue(out.contains("default=0"), out);
            assertTrue(out.contains("from the base\n1\n"), "served, mounted by nobody: " + out);
            assertTrue(out.contains("unmounted=0"), out);
            assertTrue(out.contains("upper=end"), out);
            // said while mounting, before the output went to the log: kept there
            assertTrue(Files.readString(m.work.resolve("server.log")).contains("mounting through libfuse instead"));
        }
    }

    /** The command with its classpath copied to {@code dir}: nobody cannot read the build's (under /root). */
    private static java.util.List<String> readableCopy(java.util.List<String> cmd, Path dir) throws Exception {
        java.util.List<String> out = new java.util.ArrayList<>(cmd);
        int at = out.indexOf("-cp") + 1;
        java.util.List<String> copies = new java.util.ArrayList<>();
        for (String entry : out.get(at).split(java.io.File.pathSeparator)) {
            Path copy = dir.resolve(copies.size() + "-" + Path.of(entry).getFileName());
            assertEquals(0, OverlayMount.sh(false, "mkdir -p " + dir + " && cp -a '" + entry + "' " + copy
                    + " && chmod -R a+rX " + dir).status(), entry);
            copies.add(copy.toString());
        }
        out.set(at, String.join(java.io.File.pathSeparator, copies));
        return out;
    }

    private static String shellWords(java.util.List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            sb.append(sb.length() == 0 ? "" : " ").append("'").append(w.replace("'", "'\\''")).append("'");
        }
        return sb.toString();
    }
}
