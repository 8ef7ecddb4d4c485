package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Uses whose Unmount never comes while the plugin runs on: dockerd killed with {@code kill -9} (at its restart it
 * kills the containers it ran and sends no Unmount for them), or a container that stopped while the plugin was down
 * beside one that still ran (start-up keeps the counts of a mount something holds). Left counted, the volume stays
 * mounted for good, a volatile one shows its previous changes to every later container, and a restarted container
 * (dockerd mounts again with its old mount ID) counts twice. A later Mount or Unmount drops them once nothing
 * outside the plugin holds the mount and each was counted long enough ago that its container must be running if it
 * ever will: a container holds a copy of the mount from its start on. The grace covers a Mount answered for a
 * container that is still starting.
 */
class LostUsesAtRuntimeTest extends VolumeTestSupport {
    private static final Duration GRACE = Duration.ofMinutes(2);
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private boolean seesContainers = true;

    @BeforeEach
    void serviceWithAClock() throws Exception {
        service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy, HolderLookup.PROC,
                new LostUses(() -> seesContainers, nanos::get, GRACE), Duration.ZERO);
    }

    private void later(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void aVolatileVolumeDiscardsAgainAfterItsContainersDiedWithoutUnmount() throws Exception {
        create("v", Map.of("volatile", "true"));
        Files.writeString(service.mount("v", "A").resolve("scratch.txt"), "of a container dockerd killed");
        later(GRACE.plusSeconds(1));

        Path mp = service.mount("v", "B");

        assertFalse(Files.exists(mp.resolve("scratch.txt")), "the next use starts from the base again");
        assertEquals(List.of("B"), activeMountFiles("v"), "A's Unmount never comes");
        assertEquals(1, mountsAt("v"));
        service.unmount("v", "B");
        assertIdle("v");
        assertBaseUntouched();
    }

    @Test
    void inspectSaysThatUsesNoContainerHoldsAreDroppedAtTheNextUse() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        assertNull(service.get("v").status().get("problem"), "A's container may still be starting");
        later(GRACE.plusSeconds(1));

        Object problem = service.get("v").status().get("problem");

        assertNotNull(problem);
        assertTrue(problem.toString().contains("no container holds its mount"), problem.toString());
        assertEquals(List.of("A"), activeMountFiles("v"), "inspecting changes nothing");
        service.unmount("v", "A");
    }

    @Test
    void aContainerStartedAgainWithItsOldMountIdCountsOnce() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        later(GRACE.plusSeconds(1));

        service.mount("v", "A"); // dockerd restarted after kill -9; `docker start` reuses the mount ID

        assertEquals("{\"UsageCount\":1}", count("v", "A"));
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void theLastLiveUnmountReleasesAVolumeStillCountedForALostUse() throws Exception {
        create("v", Map.of());
        service.mount("v", "A"); // its container stops while the plugin is down: start-up keeps A, B holds the mount
        service.mount("v", "B");
        later(GRACE.plusSeconds(1));

        service.unmount("v", "B");

        assertIdle("v");
    }

    @Test
    void aUseCountedBeforeTheDaemonStartedIsDroppedByTheLastLiveUnmount() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A"); // its container stops while the plugin is down, beside B's
        service.mount("v", "B");
        Path copy = Files.createDirectories(tmp.resolve("held-by"));
        run("mount", "--bind", mp.toString(), copy.toString()); // B's container's copy of the mount
        try {
            service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy, HolderLookup.PROC,
                    new LostUses(() -> seesContainers, nanos::get, GRACE), Duration.ZERO);
            service.recover(() -> true);
            assertEquals(List.of("A", "B"), activeMountFiles("v"), "start-up cannot tell which one ended");
        } finally {
            run("umount", copy.toString()); // B's container stops
        }
        later(GRACE.plusSeconds(1));

        service.unmount("v", "B");

        assertIdle("v");
    }

    @Test
    void aRecentUseIsKeptItsContainerMayStillBeStarting() throws Exception {
        create("v", Map.of("volatile", "true"));
        Files.writeString(service.mount("v", "A").resolve("scratch.txt"), "A's");
        later(GRACE.minusSeconds(1));

        Path mp = service.mount("v", "B");

        assertEquals("A's", Files.readString(mp.resolve("scratch.txt")));
        assertEquals(List.of("A", "B"), activeMountFiles("v"));
        service.unmount("v", "B");
        assertEquals(List.of("A"), activeMountFiles("v"));
        assertTrue(mounted("v"));
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void aUseIsKeptWhileSomethingElseHoldsTheMount() throws Exception {
        create("v", Map.of("volatile", "true"));
        Path mp = service.mount("v", "A");
        Files.writeString(mp.resolve("scratch.txt"), "A's");
        Path copy = Files.createDirectories(tmp.resolve("held-by"));
        run("mount", "--bind", mp.toString(), copy.toString()); // as A's container's copy of it
        try {
            later(GRACE.plusSeconds(1));
            assertEquals("A's", Files.readString(service.mount("v", "B").resolve("scratch.txt")));
            service.unmount("v", "B");
            assertEquals(List.of("A"), activeMountFiles("v"), "A's container may still run");
        } finally {
            run("umount", copy.toString());
        }
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void usesAreKeptWhenTheContainersCannotBeSeen() throws Exception {
        seesContainers = false;
        create("v", Map.of());
        service.mount("v", "A");
        later(GRACE.plusSeconds(1));

        service.mount("v", "B");
        service.unmount("v", "B");

        assertEquals(List.of("A"), activeMountFiles("v"));
        service.unmount("v", "A");
        assertIdle("v");
    }
}
