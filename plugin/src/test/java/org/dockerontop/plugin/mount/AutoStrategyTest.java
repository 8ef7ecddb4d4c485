package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoStrategyTest {
    @TempDir
    Path dir;
    private final OnDemandKernelStrategy kernel = new OnDemandKernelStrategy();

    @AfterEach
    void cleanUp() throws InterruptedException {
        TestMounts.unmountAllUnder(dir);
    }

    @Test
    void usesTheKernelOverlayWhereItWorks() throws Exception {
        Layers layers = TestMounts.layers(dir);
        AutoStrategy auto = new AutoStrategy(kernel, TestMounts.fuse());

        MountResult result = auto.mount(layers);

        assertEquals("overlay", result.strategy());
        assertEquals("overlay", ExistingMounts.entryAt(layers.mountpoint()).orElseThrow().fsType());
        assertFalse(Files.exists(FuseProcessStrategy.logFile(layers)), "FUSE was not tried");
        Files.writeString(layers.mountpoint().resolve("k"), "kernel");
        assertEquals("kernel", Files.readString(layers.upper().resolve("k")));

        auto.unmount(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    /**
     * The real nested refusal: the volume's upper and work directories sit on an overlayfs (as when
     * the daemon's root is inside a container), which the kernel refuses as an upper.
     */
    @Test
    void fallsBackToFuseWhenTheKernelRefusesAnOverlayfsUpper() throws Exception {
        Layers layers = nestedLayers();
        AutoStrategy auto = new AutoStrategy(kernel, TestMounts.fuse());

        MountResult result = auto.mount(layers);

        assertEquals("fuse", result.strategy());
        assertTrue(result.reason().startsWith("kernel overlay refused: "), result.reason());
        assertTrue(ExistingMounts.isFuseType(ExistingMounts.entryAt(layers.mountpoint()).orElseThrow().fsType()));
        Path mp = layers.mountpoint();
        assertEquals("from the base\n", Files.readString(mp.resolve("base.txt")));
        Files.writeString(mp.resolve("nested.txt"), "written on a nested host");
        assertEquals("written on a nested host", Files.readString(layers.upper().resolve("nested.txt")));
        List<ProcessHandle> servers = FuseProcesses.serving(mp);
        assertEquals(1, servers.size());

        auto.unmount(mp);

        assertFalse(TestMounts.isMounted(mp));
        assertFalse(FuseProcesses.isRunning(servers.get(0)));
    }

    @Test
    void aRealKernelFailureIsNotRetriedWithFuse() throws Exception {
        Layers layers = TestMounts.layers(dir);
        kernel.fail = true;
        AutoStrategy auto = new AutoStrategy(kernel, TestMounts.fuse());

        VolumeException e = assertThrows(VolumeException.class, () -> auto.mount(layers));

        assertFalse(e instanceof StrategyUnavailableException);
        assertEquals("injected failure", e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertFalse(Files.exists(FuseProcessStrategy.logFile(layers)), "FUSE was not tried");
    }

    @Test
    void whenFuseCannotWorkEitherBothReasonsAreGiven() throws Exception {
        Layers layers = TestMounts.layers(dir);
        kernel.refuse = true;
        AutoStrategy auto = new AutoStrategy(kernel, new FuseProcessStrategy(List.of(dir.resolve("missing").toString())));

        StrategyUnavailableException e = assertThrows(StrategyUnavailableException.class, () -> auto.mount(layers));

        assertTrue(e.getMessage().contains("injected refusal"), e.getMessage());
        assertTrue(e.getMessage().contains("FUSE cannot be used either"), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    @Test
    void eachMountAsksTheKernelAgain() throws Exception {
        Layers layers = TestMounts.layers(dir);
        AutoStrategy auto = new AutoStrategy(kernel, TestMounts.fuse());
        kernel.refuse = true;
        assertEquals("fuse", auto.mount(layers).strategy());
        auto.unmount(layers.mountpoint());

        kernel.refuse = false;
        assertEquals("overlay", auto.mount(layers).strategy(), "an earlier refusal is not remembered");
        auto.unmount(layers.mountpoint());
        assertEquals(2, kernel.mounts);
    }

    @Test
    void strategiesAreFoundByTheirNames() throws Exception {
        MountStrategies strategies = new MountStrategies(kernel, TestMounts.fuse());
        assertSame(kernel, strategies.byName("overlay"));
        assertEquals("fuse", strategies.byName("fuse").name());
        assertEquals("auto", strategies.byName("auto").name());
        VolumeException e = assertThrows(VolumeException.class, () -> strategies.byName("kernel"));
        assertEquals("unknown strategy 'kernel': use one of auto, overlay, fuse", e.getMessage());
    }

    /** Layers whose upper and work live on a kernel overlay mounted in the temp dir. */
    private Layers nestedLayers() throws Exception {
        Layers outer = new Layers(dir.resolve("outer-lower"), dir.resolve("outer-upper"), dir.resolve("outer-work"),
                dir.resolve("outer"));
        for (Path p : List.of(outer.lower(), outer.upper(), outer.work(), outer.mountpoint())) {
            Files.createDirectories(p);
        }
        new KernelOverlayStrategy().mount(outer);
        Layers layers = new Layers(dir.resolve("base"), outer.mountpoint().resolve("upper"), outer.mountpoint().resolve("work"),
                dir.resolve("mountpoint"));
        for (Path p : List.of(layers.lower(), layers.upper(), layers.work(), layers.mountpoint())) {
            Files.createDirectories(p);
        }
        Files.writeString(layers.lower().resolve("base.txt"), "from the base\n");
        return layers;
    }
}
