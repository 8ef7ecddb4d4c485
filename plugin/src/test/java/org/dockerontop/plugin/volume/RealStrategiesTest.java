package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.format.IncompatFeatures;
import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.dockerontop.plugin.mount.FuseProcessStrategy;
import org.dockerontop.plugin.mount.KernelOverlayStrategy;
import org.dockerontop.plugin.mount.MountStrategies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The service with the daemon's real strategies: the kernel overlay, the FUSE overlay served by its own
 * process (our docker-on-top-fuse.jar once the fuse module has packaged it, else Debian's fuse-overlayfs,
 * which has the same command line and upper format), and auto.
 */
class RealStrategiesTest {
    @TempDir
    Path tmp;
    Path base;

    @BeforeEach
    void base() throws Exception {
        base = Files.createDirectories(tmp.resolve("base"));
        Files.writeString(base.resolve("hello.txt"), "hello from base");
        Files.writeString(base.resolve("gone.txt"), "deleted in the volume");
    }

    @AfterEach
    void cleanUp() throws Exception {
        List<MountEntry> left = new ArrayList<>(MountTable.read().under(tmp));
        Collections.reverse(left);
        for (MountEntry m : left) {
            if (m.isFuse()) {
                ExistingMounts.cleanUp(m.mountpoint());
            } else {
                KernelOverlayMount.detach(m.mountpoint());
            }
        }
        assertTrue(left.isEmpty() || left.stream().allMatch(m -> m.mountpoint().equals(tmp.resolve("nested"))),
                "the test left mounts behind: " + left);
    }

    static List<String> fuseCommand() {
        Path jar = Path.of("..", "fuse", "target", "docker-on-top-fuse.jar").toAbsolutePath().normalize();
        if (Files.isRegularFile(jar)) {
            return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString());
        }
        return List.of("/usr/bin/fuse-overlayfs");
    }

    private OverlayVolumeService service(Path root, String defaultStrategy) throws VolumeException {
        MountStrategies strategies = new MountStrategies(new KernelOverlayStrategy(),
                new FuseProcessStrategy(fuseCommand()));
        OverlayVolumeService s = new OverlayVolumeService(new VolumeStore(root), defaultStrategy, strategies::byName);
        s.recover();
        return s;
    }

    @Test
    void aVolumeKeepsItsChangesAcrossStrategies() throws Exception {
        Path root = tmp.resolve("state");
        OverlayVolumeService kernel = service(root, "overlay");
        kernel.create("v", Map.of("base", base.toString()));
        Path mp = kernel.mount("v", "A");
        Files.writeString(mp.resolve("by-kernel.txt"), "kernel");
        Files.delete(mp.resolve("gone.txt"));
        assertEquals("overlay", kernel.get("v").status().get("strategy"));
        kernel.unmount("v", "A");

        OverlayVolumeService fuse = service(root, "fuse"); // the daemon restarted with --strategy fuse
        mp = fuse.mount("v", "B");
        assertTrue(MountTable.read().at(mp).orElseThrow().isFuse());
        assertEquals("fuse", fuse.get("v").status().get("strategy"));
        assertEquals("kernel", Files.readString(mp.resolve("by-kernel.txt")));
        assertFalse(Files.exists(mp.resolve("gone.txt")), "the kernel's whiteout hides the file under FUSE too");
        Files.writeString(mp.resolve("by-fuse.txt"), "fuse");
        fuse.unmount("v", "B");
        assertFalse(MountTable.read().isMountpoint(mp));
        assertFalse(Files.exists(mp), "mountpoint/ removed");

        kernel = service(root, "overlay");
        mp = kernel.mount("v", "C");
        assertEquals("fuse", Files.readString(mp.resolve("by-fuse.txt")));
        assertEquals("kernel", Files.readString(mp.resolve("by-kernel.txt")));
        assertFalse(Files.exists(mp.resolve("gone.txt")));
        kernel.unmount("v", "C");
        assertEquals("hello from base", Files.readString(base.resolve("hello.txt")));
        assertTrue(Files.exists(base.resolve("gone.txt")), "the base is never modified");
    }

    @Test
    void aVolatileVolumeMountsVolatileWithEitherStrategyEvenAfterACrashLeftTheMark() throws Exception {
        for (String strategy : List.of("overlay", "fuse")) {
            Path root = tmp.resolve("state-" + strategy);
            OverlayVolumeService s = service(root, strategy);
            s.create("v", Map.of("base", base.toString(), "volatile", "true"));
            Path work = root.resolve("v/workdir");
            Path mp = s.mount("v", "A");
            if (strategy.equals("overlay") || fuseCommand().contains("-jar")) {
                assertEquals(Optional.of("volatile"), IncompatFeatures.marked(work), strategy + ": syncs nothing");
            } // fuse-overlayfs (the stand-in when fuse/target has no jar) takes the option but leaves no mark
            if (strategy.equals("overlay")) {
                assertTrue(MountTable.read().at(mp).orElseThrow().superOptions().contains("volatile"));
            }
            Files.writeString(mp.resolve("scratch.txt"), "x");
            s.unmount("v", "A");
            // the host crashed while mounted: the workdir is still there, with the overlay's mark
            Files.createDirectories(work);
            IncompatFeatures.markVolatile(work);
            mp = s.mount("v", "B");
            assertFalse(Files.exists(mp.resolve("scratch.txt")), strategy + ": discarded as a volatile volume is");
            assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
            s.unmount("v", "B");
        }
    }

    @Test
    void aRestartedPluginAdoptsAFuseMountAndReleasesItAtTheLastUnmount() throws Exception {
        Path root = tmp.resolve("state");
        OverlayVolumeService before = service(root, "fuse");
        before.create("v", Map.of("base", base.toString()));
        Path mp = before.mount("v", "A");
        Files.writeString(mp.resolve("while-running.txt"), "x");

        OverlayVolumeService after = service(root, "fuse"); // the plugin restarted; its FUSE server did not
        assertEquals(List.of("A"), new VolumeStore(root).activeMounts("v").keySet().stream().toList());
        Map<String, Object> status = after.get("v").status();
        assertEquals(true, status.get("mounted"), status.toString());
        assertEquals("fuse", status.get("strategy"));
        assertTrue(((String) status.get("strategyReason")).startsWith("adopted"), status.toString());
        assertEquals(mp, after.mount("v", "B"));
        assertEquals(1, MountTable.read().entries().stream().filter(e -> e.mountpoint().equals(mp)).count(),
                "adopted, not mounted a second time");
        assertEquals("x", Files.readString(mp.resolve("while-running.txt")));
        after.unmount("v", "A");
        assertTrue(MountTable.read().isMountpoint(mp));
        after.unmount("v", "B");
        assertFalse(MountTable.read().isMountpoint(mp));
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(mp.toString())),
                "no FUSE process left serving the volume");
        assertEquals("x", Files.readString(root.resolve("v/upper/while-running.txt")));
    }

    /**
     * A mount made before the plugin recorded which base directory a mount shows (or whose record was lost) has none;
     * adopting a FUSE mount records it from the server, which works from that very directory, so that inspect tells a
     * base replaced while mounted for it too. A kernel overlay tells no more than the path it was given: no record.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fuse", "overlay"})
    void anAdoptedMountGetsItsBaseRecordedWhereItsServerTellsIt(String strategy) throws Exception {
        Assumptions.assumeTrue(fuseCommand().contains("-jar"), "needs docker-on-top-fuse.jar (fuse/target)");
        Path root = tmp.resolve("state");
        OverlayVolumeService before = service(root, strategy);
        before.create("v", Map.of("base", base.toString()));
        Path mp = before.mount("v", "A");
        Path record = root.resolve("v").resolve(MountedBase.FILE);
        String recorded = Files.readString(record);
        Files.delete(record); // as a version before the record left it
        Files.move(base, tmp.resolve("moved-aside"));
        Files.createDirectories(base);

        OverlayVolumeService after = service(root, strategy); // restarted
        assertEquals(mp, after.mount("v", "B"));

        Object problem = after.get("v").status().get("problem");
        if (strategy.equals("fuse")) {
            assertEquals(recorded, Files.readString(record), "the directory the mount shows, not the one named now");
            assertTrue(problem != null && problem.toString().contains("was replaced while the volume was mounted"),
                    String.valueOf(problem));
        } else {
            assertFalse(Files.exists(record), "a kernel overlay does not tell which directory it shows");
            assertNull(problem);
        }
        after.unmount("v", "A");
        after.unmount("v", "B");
        assertFalse(MountTable.read().isMountpoint(mp));
    }

    @Test
    void aFuseMountWhoseBaseWasRemovedIsRefusedForTheNextContainerSayingWhy() throws Exception {
        Path root = tmp.resolve("state");
        OverlayVolumeService s = service(root, "fuse");
        s.create("v", Map.of("base", base.toString()));
        s.mount("v", "A");
        org.dockerontop.overlay.format.Trees.delete(base);

        String msg = assertThrows(VolumeException.class, () -> s.mount("v", "B")).getMessage();

        assertTrue(msg.contains("base directory " + base + " was removed while the volume was mounted"), msg);
        s.unmount("v", "A");
        assertFalse(MountTable.read().isMountpoint(root.resolve("v/mountpoint")));
    }

    @Test
    void autoUsesFuseWhenTheStateRootIsOnAnOverlayAndSaysWhy() throws Exception {
        // a nested host: the daemon's root directory lives on an overlayfs, which the kernel refuses as an upper
        Path outer = tmp.resolve("outer");
        for (String d : List.of("lower", "upper", "work")) {
            Files.createDirectories(outer.resolve(d));
        }
        Path nested = Files.createDirectories(tmp.resolve("nested"));
        KernelOverlayMount.mount(outer.resolve("lower"), outer.resolve("upper"), outer.resolve("work"), nested, "outer");
        try {
            OverlayVolumeService auto = service(nested.resolve("state"), "auto");
            auto.create("v", Map.of("base", base.toString()));
            Path mp = auto.mount("v", "A");
            Map<String, Object> status = auto.get("v").status();
            assertEquals("fuse", status.get("strategy"), status.toString());
            assertEquals("auto", status.get("configuredStrategy"));
            assertTrue(((String) status.get("strategyReason")).contains("not supported as upperdir"), status.toString());
            assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
            auto.unmount("v", "A");
            assertFalse(MountTable.read().isMountpoint(mp));

            auto.create("forced", Map.of("base", base.toString(), "strategy", "overlay"));
            String msg = assertThrows(VolumeException.class, () -> auto.mount("forced", "A")).getMessage();
            assertTrue(msg.contains("kernel refused") && msg.contains("strategy=fuse"), msg);
            assertEquals(false, auto.get("forced").status().get("mounted"));
        } finally {
            KernelOverlayMount.unmount(nested);
        }
    }
}
