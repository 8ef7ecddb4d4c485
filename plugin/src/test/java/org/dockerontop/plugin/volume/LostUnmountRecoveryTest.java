package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * dockerd sends a container's Unmount once: if the plugin is down at that moment (a crash, a restart, an upgrade)
 * or dockerd was killed while the container ran, the use stays counted for ever, the volume stays mounted, and a
 * volatile volume no longer discards its changes. At start-up, a count is known to be lost when nothing outside the
 * plugin holds the volume's mount: every container that uses a volume holds a copy of its mount in its own mount
 * namespace. That is only known when this process sees the containers' processes at all.
 */
class LostUnmountRecoveryTest extends VolumeTestSupport {

    private OverlayVolumeService restart(boolean seesContainers) throws VolumeException {
        OverlayVolumeService s = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy);
        s.recover(() -> seesContainers);
        return s;
    }

    @Test
    void countsOfAMountNothingHoldsAreClearedAndAVolatileVolumeDiscardsAgain() throws Exception {
        create("v", Map.of("volatile", "true"));
        Path mp = service.mount("v", "A");
        Files.writeString(mp.resolve("scratch.txt"), "of the container that stopped while the plugin was down");

        service = restart(true);

        assertEquals(List.of(), activeMountFiles("v"), "its Unmount will never come");
        assertTrue(mounted("v"), "start-up never unmounts: the mount is released by the volume's next use");
        assertEquals(0, service.get("v").status().get("activeMounts"));
        mp = service.mount("v", "B");
        assertFalse(Files.exists(mp.resolve("scratch.txt")), "the next use starts from the base again");
        assertEquals(1, mountsAt("v"));
        service.unmount("v", "B");
        assertIdle("v");
        assertBaseUntouched();
    }

    @Test
    void aNonVolatileVolumeKeepsItsChangesAndIsReleasedByItsNextLastUnmount() throws Exception {
        create("v", Map.of());
        Files.writeString(service.mount("v", "A").resolve("kept.txt"), "kept");

        service = restart(true);

        assertEquals(List.of(), activeMountFiles("v"));
        Path mp = service.mount("v", "B");
        assertEquals("kept", Files.readString(mp.resolve("kept.txt")));
        service.unmount("v", "B");
        assertIdle("v");
        assertEquals("kept", Files.readString(vol("v").resolve("upper/kept.txt")));
    }

    @Test
    void countsOfAMountHeldElsewhereAreKept() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        Path copy = Files.createDirectories(tmp.resolve("held-by"));
        run("mount", "--bind", mp.toString(), copy.toString()); // as a container's copy of it would
        try {
            service = restart(true);
            assertEquals(List.of("A"), activeMountFiles("v"), "a container may still use it");
        } finally {
            run("umount", copy.toString());
        }
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void countsAreKeptWhenTheContainersCannotBeSeen() throws Exception {
        create("v", Map.of("volatile", "true"));
        service.mount("v", "A");

        service = restart(false);

        assertEquals(List.of("A"), activeMountFiles("v"), "no sign that they are lost: kept");
        service.unmount("v", "A");
        assertIdle("v");
    }
}
