package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.volume.VolumeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class KernelOverlayStrategyTest {
    @TempDir
    Path tmp;
    private final KernelOverlayStrategy strategy = new KernelOverlayStrategy();

    @AfterEach
    void noMountsLeft() throws Exception {
        List<MountEntry> left = MountTable.read().under(tmp);
        for (int i = left.size() - 1; i >= 0; i--) {
            KernelOverlayMount.detach(left.get(i).mountpoint());
        }
        assertTrue(left.isEmpty(), "left mounts behind: " + left);
    }

    private Layers layers(Path dir) throws Exception {
        Layers l = new Layers(dir.resolve("lower"), dir.resolve("upper"), dir.resolve("work"), dir.resolve("mnt"));
        for (Path p : List.of(l.lower(), l.upper(), l.work(), l.mountpoint())) {
            Files.createDirectories(p);
        }
        return l;
    }

    @Test
    void mountsAndUnmounts() throws Exception {
        Layers l = layers(tmp.resolve("vol"));
        MountResult r = strategy.mount(l);
        assertEquals("overlay", r.strategy());
        MountEntry e = MountTable.read().at(l.mountpoint()).orElseThrow();
        assertEquals("docker-on-top_vol", e.source());
        strategy.unmount(l.mountpoint());
        assertFalse(MountTable.read().isMountpoint(l.mountpoint()));
        strategy.unmount(l.mountpoint()); // already unmounted: nothing to do, no error
    }

    @Test
    void upperOnAnOverlayIsUnavailableNotAFailure() throws Exception {
        Layers outer = layers(tmp.resolve("outer"));
        strategy.mount(outer);
        try {
            Layers nested = layers(outer.mountpoint().resolve("nested"));
            StrategyUnavailableException e = assertThrows(StrategyUnavailableException.class,
                    () -> strategy.mount(nested));
            assertTrue(e.getMessage().contains("kernel refused") && e.getMessage().contains("strategy=fuse"),
                    e.getMessage());
            assertFalse(MountTable.read().isMountpoint(nested.mountpoint()));
        } finally {
            strategy.unmount(outer.mountpoint());
        }
    }

    @Test
    void missingLowerIsARealFailure() throws Exception {
        Layers l = layers(tmp.resolve("vol"));
        Files.delete(l.lower());
        VolumeException e = assertThrows(VolumeException.class, () -> strategy.mount(l));
        assertFalse(e instanceof StrategyUnavailableException, "auto must not fall back on a missing base");
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void busyUnmountSaysWhatToDoAndKeepsTheMount() throws Exception {
        Layers l = layers(tmp.resolve("vol"));
        Files.writeString(l.lower().resolve("f"), "x");
        strategy.mount(l);
        try (InputStream in = Files.newInputStream(l.mountpoint().resolve("f"))) {
            VolumeException e = assertThrows(VolumeException.class, () -> strategy.unmount(l.mountpoint()));
            assertTrue(e.getMessage().contains("busy") && e.getMessage().contains("fuser -vm"), e.getMessage());
            assertTrue(MountTable.read().isMountpoint(l.mountpoint()));
        }
        strategy.unmount(l.mountpoint());
    }
}
