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
        assertEquals(ExistingMounts.Health.ANSWERING, ExistingMounts.probe(k.mountpoint()));
        assertEquals(ExistingMounts.Health.ANSWERING, ExistingMounts.probe(f.mountpoint()));
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

        // UNRESPONSIVE itself shows that the probe gave up instead of waiting for the server
        assertEquals(ExistingMounts.Health.UNRESPONSIVE, ExistingMounts.probe(layers.mountpoint()));
        ExistingMounts.cleanUp(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertTrue(FuseProcesses.awaitExit(servers, Duration.ofSeconds(5)), "the hung server is gone");
    }

    /**
     * Each probe of a hung server leaves a thread blocked in statfs until the server answers or dies: probing it
     * again (every docker volume inspect does) must wait on that probe, not block one more thread each time.
     */
    @Test
    void probingAHungServerAgainBlocksNoFurtherThread() throws Exception {
        Layers layers = TestMounts.layers(dir);
        TestMounts.fuse().mount(layers);
        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        TestMounts.freeze(servers.get(0));

        for (int i = 0; i < 5; i++) {
            assertEquals(ExistingMounts.Health.UNRESPONSIVE,
                    ExistingMounts.probe(layers.mountpoint(), Duration.ofMillis(100)));
        }
        assertEquals(1, probeThreads(layers.mountpoint()), "threads blocked on the hung server");

        ExistingMounts.cleanUp(layers.mountpoint()); // the server dies: the blocked statfs returns
        for (int i = 0; i < 500 && probeThreads(layers.mountpoint()) > 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, probeThreads(layers.mountpoint()), "the blocked probe ends with its server");
        Files.createDirectories(layers.mountpoint());
        assertEquals(ExistingMounts.Health.ANSWERING, ExistingMounts.probe(layers.mountpoint()),
                "a later probe is a new one");
    }

    /**
     * A listing of the root of a mount whose server is stopped is given up after its timeout, and listing it again
     * (every Mount of the volume does) waits on the pending one instead of blocking one more thread.
     */
    @Test
    void aListingOfAHungServerIsGivenUpAndBlocksOneThreadAtMost() throws Exception {
        Layers layers = TestMounts.layers(dir);
        TestMounts.fuse().mount(layers);
        Path mp = layers.mountpoint();
        String device = ExistingMounts.entryAt(mp).orElseThrow().device();
        assertTrue(ExistingMounts.listRoot(mp, device, Duration.ofSeconds(5)).listed());
        List<ProcessHandle> servers = FuseProcesses.serving(mp);
        TestMounts.freeze(servers.get(0));

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            ExistingMounts.Listing listing = ExistingMounts.listRoot(mp, device, Duration.ofMillis(300));
            long took = (System.nanoTime() - start) / 1_000_000;
            assertFalse(listing.answered());
            assertTrue(took < 3000, "gave up after " + took + " ms");
        }
        assertEquals(1, threadsNamed("list " + mp.toAbsolutePath().normalize()), "threads blocked on the hung server");

        ExistingMounts.cleanUp(mp); // the server dies: the blocked listing returns
        for (int i = 0; i < 500 && threadsNamed("list " + mp.toAbsolutePath().normalize()) > 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, threadsNamed("list " + mp.toAbsolutePath().normalize()), "nothing left blocked");
    }

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(name)).count();
    }

    private static long probeThreads(Path mountpoint) {
        String name = "probe " + mountpoint.toAbsolutePath().normalize();
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(name)).count();
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
