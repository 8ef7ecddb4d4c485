package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An Unmount for a mount ID the plugin does not count: its count was cleared by start-up (the mount was held by
 * nothing, e.g. its container was created but not started yet when the previous daemon died), or by a user
 * ({@code rm activemounts/*}, as the README says), or it was dropped as lost. It used to change nothing and answer
 * an error, leaving the volume mounted with no use counted until its next Mount or Remove: its mountpoint and its
 * FUSE process stayed, and a volatile volume's changes stayed visible to whoever looked. With no use left, such an
 * Unmount now releases the volume as its last Unmount would; while other uses are counted it still changes nothing.
 */
class UncountedUnmountTest extends VolumeTestSupport {

    /** A service that clears, at start-up, the counts of a mount nothing outside the plugin holds. */
    private OverlayVolumeService restartSeeingContainers() throws VolumeException {
        OverlayVolumeService s = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy);
        s.recover(() -> true);
        return s;
    }

    @Test
    void anUnmountOfAnIdStartUpClearedReleasesTheVolume() throws Exception {
        create("v", Map.of());
        Files.writeString(service.mount("v", "A").resolve("kept.txt"), "kept");
        service = restartSeeingContainers();
        assertEquals(List.of(), activeMountFiles("v"), "start-up cleared A: nothing held the mount");
        assertTrue(mounted("v"));

        service.unmount("v", "A");

        assertIdle("v");
        assertEquals("kept", Files.readString(vol("v").resolve("upper/kept.txt")), "no change lost");
        assertBaseUntouched();
    }

    @Test
    void aVolatileVolumeReleasedSoDiscardsAtItsNextMountAsAfterAnyLastUnmount() throws Exception {
        create("v", Map.of("volatile", "true"));
        Files.writeString(service.mount("v", "A").resolve("scratch.txt"), "A's");
        service = restartSeeingContainers();

        service.unmount("v", "A");

        assertIdle("v");
        assertEquals("A's", Files.readString(vol("v").resolve("upper/scratch.txt")),
                "recoverable until the next use, as after any last Unmount");
        Path mp = service.mount("v", "B");
        assertFalse(Files.exists(mp.resolve("scratch.txt")), "the next use starts from the base again");
        service.unmount("v", "B");
        service.awaitBackgroundWork();
        assertIdle("v");
    }

    @Test
    void aMountHeldElsewhereIsLeftAsALastUnmountLeavesIt() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        service = restartSeeingContainers();
        Path copy = Files.createDirectories(tmp.resolve("held-by"));
        run("mount", "--bind", mp.toString(), copy.toString()); // a copy the unmount here would not end
        try {
            service.unmount("v", "A");
            assertTrue(mounted("v"), "left for the next Mount to adopt");
            assertEquals(List.of(), activeMountFiles("v"));
        } finally {
            run("umount", copy.toString());
        }
        service.unmount("v", "A"); // repeated, once nothing holds it
        assertIdle("v");
    }

    @Test
    void anUnmountOfAnIdOfAnIdleVolumeChangesNothing() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        service.unmount("v", "A");

        service.unmount("v", "A"); // dockerd's retry of an Unmount whose answer it did not get

        assertIdle("v");
    }

    @Test
    void anUnmountOfAnUncountedIdDropsOtherUsesThatAreLostAndReleasesTheVolume() throws Exception {
        AtomicLong nanos = new AtomicLong(1_000_000_000L);
        service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy, HolderLookup.PROC,
                new LostUses(() -> true, nanos::get, LostUses.GRACE), Duration.ZERO);
        create("v", Map.of());
        service.mount("v", "B"); // B's dockerd is killed later: its Unmount never comes
        nanos.addAndGet(LostUses.GRACE.plusSeconds(1).toNanos());

        service.unmount("v", "A");

        assertIdle("v");
    }
}
