package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VolumeServiceFactoryTest {
    @TempDir
    Path tmp;

    @Test
    void opensCreatingTheRootAndRecovering() throws Exception {
        Path root = tmp.resolve("deep/state");
        Files.createDirectories(root.resolve("stale/activemounts"));
        Files.createDirectories(root.resolve("stale/upper"));
        Files.createDirectories(root.resolve("stale/mountpoint"));
        Files.writeString(root.resolve("stale/metadata.json"), "{\"BaseDirPath\":\"" + tmp + "\",\"Volatile\":true}");
        Files.writeString(root.resolve("stale/activemounts/abc"), "{\"UsageCount\":1}");
        VolumeService s = VolumeServiceFactory.open(root, "overlay");
        assertFalse(Files.exists(root.resolve("stale/activemounts/abc")), "stale count cleared at start-up");
        assertFalse(Files.exists(root.resolve("stale/mountpoint")));
        assertEquals(List.of("stale"), s.list().stream().map(VolumeInfo::name).toList());
        assertEquals(true, s.get("stale").status().get("volatile"));
    }

    @Test
    void refusesAnUnknownDefaultStrategy() {
        String msg = assertThrows(VolumeException.class, () -> VolumeServiceFactory.open(tmp, "bind")).getMessage();
        assertTrue(msg.contains("auto, overlay or fuse"), msg);
    }

    @Test
    void everyStrategyNameResolves() throws Exception {
        StrategyResolver strategies = VolumeServiceFactory.strategies();
        for (String name : new String[]{"overlay", "fuse", "auto"}) {
            assertEquals(name, strategies.forName(name).name());
        }
        String msg = assertThrows(VolumeException.class, () -> strategies.forName("bind")).getMessage();
        assertTrue(msg.contains("auto, overlay, fuse"), msg);
    }
}
