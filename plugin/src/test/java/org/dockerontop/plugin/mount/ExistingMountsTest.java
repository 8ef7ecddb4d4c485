package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Re-adoption and dead-mount helpers against real mounts. */
class ExistingMountsTest {
    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws InterruptedException {
        TestMounts.unmountAllUnder(dir);
    }

    @Test
    void tellsAKernelOverlayFromAFuseMount() throws Exception {
        Layers kernelLayers = TestMounts.layers(dir.resolve("k"));
        Layers fuseLayers = TestMounts.layers(dir.resolve("f"));
        new KernelOverlayStrategy().mount(kernelLayers);
        FuseProcessStrategy fuse = TestMounts.fuse();
        fuse.mount(fuseLayers);

        ExistingMounts.ExistingMount k = ExistingMounts.find(kernelLayers.mountpoint()).orElseThrow();
        ExistingMounts.ExistingMount f = ExistingMounts.find(fuseLayers.mountpoint()).orElseThrow();

        assertEquals("overlay", k.strategy());
        assertEquals("fuse", f.strategy());
        assertEquals(ExistingMounts.Health.ANSWERING, k.health());
        assertEquals(ExistingMounts.Health.ANSWERING, f.health());
        assertTrue(ExistingMounts.find(dir.resolve("k/lower")).isEmpty(), "a plain directory holds no mount");

        // whoever finds them later unmounts each with the strategy that made it
        AutoStrategy auto = new AutoStrategy(new KernelOverlayStrategy(), fuse);
        auto.unmount(kernelLayers.mountpoint());
        auto.unmount(fuseLayers.mountpoint());
        assertFalse(TestMounts.isMounted(kernelLayers.mountpoint()));
        assertFalse(TestMounts.isMounted(fuseLayers.mountpoint()));
    }

    @Test
    void aForeignMountIsNeitherOursNorTouched() throws Exception {
        Path mp = Files.createDirectories(dir.resolve("tmpfs"));
        assertEquals(0, TestMounts.run("mount", "-t", "tmpfs", "tmpfs", mp.toString()).exit());

        ExistingMounts.ExistingMount m = ExistingMounts.find(mp).orElseThrow();

        assertEquals("tmpfs", m.fsType());
        assertNull(m.strategy());
        assertFalse(m.isOurs());
        assertThrows(VolumeException.class, () -> ExistingMounts.cleanUp(mp));
        assertThrows(VolumeException.class, () -> new AutoStrategy(new KernelOverlayStrategy(), TestMounts.fuse()).unmount(mp));
        assertTrue(TestMounts.isMounted(mp));
    }

    /** A stopped (or hung) FUSE server must not hang the caller: the probe gives up and cleanUp still works. */
    @Test
    void aHungServerIsReportedUnresponsiveAndCleanedUp() throws Exception {
        Layers layers = TestMounts.layers(dir);
        TestMounts.fuse().mount(layers);
        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        assertEquals(1, servers.size());
        TestMounts.freeze(servers.get(0));

        long start = System.nanoTime();
        ExistingMounts.Health health = ExistingMounts.probe(layers.mountpoint());
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();

        assertEquals(ExistingMounts.Health.UNRESPONSIVE, health);
        assertTrue(seconds < 10, "the probe returned after " + seconds + " s");
        ExistingMounts.cleanUp(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertTrue(FuseProcesses.awaitExit(servers, Duration.ofSeconds(5)), "the hung server is gone");
    }

    @Test
    void fsTypesMapToStrategies() {
        assertEquals("overlay", ExistingMounts.strategyOf("overlay"));
        assertEquals("fuse", ExistingMounts.strategyOf("fuse.docker-on-top-fuse"));
        assertEquals("fuse", ExistingMounts.strategyOf("fuse.fuse-overlayfs"));
        assertNull(ExistingMounts.strategyOf("fuse.sshfs"));
        assertNull(ExistingMounts.strategyOf("ext4"));
    }
}
