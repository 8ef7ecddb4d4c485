package org.dockerontop.overlay.mount;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Real overlay mounts, held by real bind mounts and by processes in real other mount namespaces. */
class MountHoldersTest {
    @TempDir
    Path tmp;
    private final List<Process> holders = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : holders) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        List<MountEntry> left = MountTable.read().under(tmp);
        for (int i = left.size() - 1; i >= 0; i--) {
            KernelOverlayMount.detach(left.get(i).mountpoint());
        }
    }

    /** A shared mount at {@code tmp} with an overlay mounted below it, as the plugin's state root is on most hosts. */
    private MountEntry overlayUnderASharedParent() throws Exception {
        run("mount", "--bind", tmp.toString(), tmp.toString());
        run("mount", "--make-shared", tmp.toString());
        Path mnt = tmp.resolve("mnt");
        for (String d : List.of("lower", "upper", "work", "mnt")) {
            Files.createDirectories(tmp.resolve(d));
        }
        KernelOverlayMount.mount(tmp.resolve("lower"), tmp.resolve("upper"), tmp.resolve("work"), mnt, "holders");
        return MountTable.read().at(mnt).orElseThrow();
    }

    /** Starts a process in a new mount namespace (a copy of ours with the given propagation) and waits until it is in. */
    private Process inNewNamespace(String propagation) throws Exception {
        Path ready = tmp.resolve("ready-" + holders.size());
        Process p = new ProcessBuilder("unshare", "-m", "--propagation", propagation, "sh", "-c",
                "touch " + ready + " && exec sleep 60").start();
        holders.add(p);
        for (int i = 0; i < 500 && !Files.exists(ready); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(ready), "the namespace holder did not start");
        return p;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }

    @Test
    void aMountNobodyElseHoldsHasNoHolders() throws Exception {
        assertEquals(List.of(), MountHolders.others(overlayUnderASharedParent()));
    }

    @Test
    void aPrivateCopyInAnotherNamespaceHoldsIt() throws Exception {
        MountEntry m = overlayUnderASharedParent();
        Process p = inNewNamespace("private");
        List<String> holders = MountHolders.others(m);
        assertEquals(1, holders.size(), holders.toString());
        assertTrue(holders.get(0).startsWith("process " + p.pid() + " "), holders.toString());
    }

    @Test
    void aSlaveCopyThatTheUnmountRemovesDoesNotHoldIt() throws Exception {
        MountEntry m = overlayUnderASharedParent();
        Process p = inNewNamespace("slave");
        assertEquals(List.of(), MountHolders.others(m));
        KernelOverlayMount.unmount(m.mountpoint());
        String theirs = Files.readString(Path.of("/proc/" + p.pid() + "/mountinfo"));
        assertFalse(MountTable.parse(theirs).entries().stream().anyMatch(e -> e.device().equals(m.device())),
                "the unmount propagated to the slave copy");
    }

    /**
     * A container given the host's root with rslave propagation (node-exporter's {@code -v /:/host:ro,rslave}):
     * its copy of the mount sits at {@code /host} + our mountpoint, a slave of our peer group, and goes with ours.
     */
    @Test
    void aSlaveCopyUnderTheHostRootBoundElsewhereDoesNotHoldIt() throws Exception {
        MountEntry m = overlayUnderASharedParent();
        Path view = Files.createTempDirectory("dot-holders-view");
        try {
            Path ready = tmp.resolve("ready-view");
            Process p = new ProcessBuilder("unshare", "-m", "--propagation", "slave", "sh", "-c",
                    "mount --rbind / " + view + " && mount --make-rslave " + view + " && touch " + ready
                            + " && exec sleep 60").start();
            holders.add(p);
            for (int i = 0; i < 500 && !Files.exists(ready); i++) {
                Thread.sleep(10);
            }
            assertTrue(Files.exists(ready), "the namespace holder did not start");
            String theirs = Files.readString(Path.of("/proc/" + p.pid() + "/mountinfo"));
            assertTrue(MountTable.parse(theirs).entries().stream()
                    .anyMatch(e -> e.mountpoint().equals(Path.of(view + m.mountpoint().toString()))),
                    "the copy under the bound root: " + theirs);
            assertEquals(List.of(), MountHolders.others(m));
            KernelOverlayMount.unmount(m.mountpoint());
            theirs = Files.readString(Path.of("/proc/" + p.pid() + "/mountinfo"));
            assertFalse(MountTable.parse(theirs).entries().stream().anyMatch(e -> e.device().equals(m.device())),
                    "the unmount propagated to both copies");
        } finally {
            for (Process p : holders) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(view);
        }
    }

    @Test
    void aBindMountHoldsIt() throws Exception {
        MountEntry m = overlayUnderASharedParent();
        Path other = Files.createDirectories(tmp.resolve("other"));
        run("mount", "--bind", m.mountpoint().toString(), other.toString());
        assertEquals(List.of("a mount at " + other), MountHolders.others(m));
    }
}
