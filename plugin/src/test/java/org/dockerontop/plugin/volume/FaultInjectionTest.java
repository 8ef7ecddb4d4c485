package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every step of Mount and Unmount made to fail, and the state checked afterwards: the volume is either
 * usable or cleanly refused, never counted as in use while not mounted. Failures are real where the kernel
 * allows it (an immutable activemounts/ makes writing or deleting a count file fail with EPERM even for root)
 * and injected in the strategy otherwise.
 */
class FaultInjectionTest extends VolumeTestSupport {
    private final List<Path> immutable = new ArrayList<>();

    private void setImmutable(Path p, boolean on) {
        try {
            Process c = new ProcessBuilder("chattr", on ? "+i" : "-i", p.toString()).inheritIO().start();
            assertEquals(0, c.waitFor(), "chattr");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (on) {
            immutable.add(p);
        } else {
            immutable.remove(p);
        }
    }

    @AfterEach
    void clearImmutable() {
        for (Path p : List.copyOf(immutable)) {
            setImmutable(p, false);
        }
    }

    @Test
    void failedMountRollsBackEverything() throws Exception {
        create("v", Map.of());
        overlay.failMount = true;
        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "A")).getMessage();
        assertTrue(msg.startsWith("cannot mount volume v: injected mount failure"), msg);
        assertIdle("v");
        overlay.failMount = false;
        service.mount("v", "A"); // usable afterwards
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void failedMountOfAVolatileVolumeKeepsItsPreviousChanges() throws Exception {
        create("v", Map.of("volatile", "true"));
        Files.writeString(service.mount("v", "A").resolve("keep.txt"), "previous run");
        service.unmount("v", "A");
        overlay.failMount = true;
        assertThrows(VolumeException.class, () -> service.mount("v", "B"));
        assertIdle("v");
        assertEquals("previous run", Files.readString(vol("v").resolve("upper/keep.txt")),
                "a failed Mount discards nothing");
        try (var s = Files.list(vol("v"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")));
        }
    }

    @Test
    void failingToWriteTheFirstCountUnmountsAgain() throws Exception {
        create("v", Map.of());
        setImmutable(vol("v").resolve("activemounts"), true);
        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "A")).getMessage();
        assertTrue(msg.contains("cannot be written") && msg.contains("check free space and permissions"), msg);
        assertEquals(1, overlay.mounts.get(), "it had mounted");
        assertFalse(mounted("v"), "and unmounted again");
        assertEquals(List.of(), activeMountFiles("v"));
        assertFalse(Files.exists(vol("v").resolve("mountpoint")));
        assertFalse(Files.exists(vol("v").resolve("workdir")));
        setImmutable(vol("v").resolve("activemounts"), false);
        service.mount("v", "A");
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void failingToWriteALaterCountLeavesTheOtherUsersAlone() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        setImmutable(vol("v").resolve("activemounts"), true);
        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "B")).getMessage();
        assertTrue(msg.contains("nothing was changed"), msg);
        assertThrows(VolumeException.class, () -> service.mount("v", "A"));
        assertTrue(mounted("v"));
        assertEquals("{\"UsageCount\":1}", count("v", "A"));
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        setImmutable(vol("v").resolve("activemounts"), false);
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void failingToDeleteTheLastCountKeepsTheVolumeMounted() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        setImmutable(vol("v").resolve("activemounts"), true);
        String msg = assertThrows(VolumeException.class, () -> service.unmount("v", "A")).getMessage();
        assertTrue(msg.contains("nothing was changed"), msg);
        assertTrue(mounted("v"));
        assertEquals(List.of("A"), activeMountFiles("v"));
        assertEquals(0, overlay.unmounts.get());
        setImmutable(vol("v").resolve("activemounts"), false);
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void failingToDecrementACountChangesNothing() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        service.mount("v", "A");
        setImmutable(vol("v").resolve("activemounts"), true);
        assertThrows(VolumeException.class, () -> service.unmount("v", "A"));
        assertEquals("{\"UsageCount\":2}", count("v", "A"));
        setImmutable(vol("v").resolve("activemounts"), false);
        service.unmount("v", "A");
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void failedUnmountKeepsTheVolumeMountedAndCounted() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        overlay.failUnmount = true;
        String msg = assertThrows(VolumeException.class, () -> service.unmount("v", "A")).getMessage();
        assertTrue(msg.contains("stays mounted and counted"), msg);
        assertTrue(mounted("v"));
        assertEquals("{\"UsageCount\":1}", count("v", "A"));
        assertTrue(Files.isDirectory(vol("v").resolve("workdir")));
        overlay.failUnmount = false;
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void failedUnmountWhoseCountCannotBeRestoredIsMountedButNotCounted() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        overlay.failUnmount = true;
        overlay.onFailedUnmount = () -> setImmutable(vol("v").resolve("activemounts"), true);
        String msg = assertThrows(VolumeException.class, () -> service.unmount("v", "A")).getMessage();
        assertTrue(msg.contains("stays mounted"), msg);
        assertTrue(mounted("v"), "the safe direction: mounted, not counted");
        assertEquals(List.of(), activeMountFiles("v"));
        setImmutable(vol("v").resolve("activemounts"), false);
        overlay.failUnmount = false;
        // the next user adopts the mount, and its Unmount releases it
        service.mount("v", "B");
        assertEquals(1, overlay.mounts.get());
        service.unmount("v", "B");
        assertIdle("v");
    }

    @Test
    void failedRemoveOfAMountedVolumeKeepsIt() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        overlay.failUnmount = true;
        String msg = assertThrows(VolumeException.class, () -> service.remove("v")).getMessage();
        assertTrue(msg.contains("cannot remove volume v") && msg.contains("Stop the containers"), msg);
        assertTrue(mounted("v"));
        assertEquals(List.of("A"), activeMountFiles("v"));
        overlay.failUnmount = false;
        service.remove("v");
        assertFalse(Files.exists(vol("v")));
    }

    @Test
    void missingBaseIsAClearRefusal() throws Exception {
        Path gone = Files.createDirectories(tmp.resolve("gone"));
        service.create("v", Map.of("base", gone.toString()));
        Files.delete(gone);
        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "A")).getMessage();
        assertTrue(msg.contains("base directory " + gone + " no longer exists"), msg);
        assertIdle("v");
    }

    @Test
    void unavailableStrategyIsAClearErrorNotASwitch() throws Exception {
        service.create("f", Map.of("base", base.toString(), "strategy", "fuse"));
        String msg = assertThrows(VolumeException.class, () -> service.mount("f", "A")).getMessage();
        assertTrue(msg.contains("no strategy fuse"), msg);
        assertEquals(0, overlay.mounts.get());
        assertIdle("f");
    }

    // ------------------------------------------------------------ states a kill -9 can leave

    @Test
    void crashAfterMountBeforeCountIsAdoptedAndReleased() throws Exception {
        create("v", Map.of());
        Path v = vol("v");
        Files.createDirectories(v.resolve("workdir"));
        Files.createDirectories(v.resolve("mountpoint"));
        KernelOverlayMount.mount(base, v.resolve("upper"), v.resolve("workdir"), v.resolve("mountpoint"), "x");
        service = newService();
        assertTrue(mounted("v"), "start-up leaves a mounted volume alone");
        assertEquals(0, service.get("v").status().get("activeMounts"));
        service.mount("v", "A");
        assertEquals(1, mountsAt("v"));
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void countedButNotMountedAfterAnUncleanStopIsReset() throws Exception {
        create("v", Map.of());
        Path v = vol("v");
        Files.createDirectories(v.resolve("workdir/work"));
        Files.createDirectories(v.resolve("mountpoint"));
        Files.writeString(v.resolve("activemounts/A"), "{\"UsageCount\":2}");
        Files.writeString(v.resolve("activemounts/B"), "garbage");
        service = newService();
        assertIdle("v");
        service.mount("v", "C");
        service.unmount("v", "C");
        assertIdle("v");
    }

    @Test
    void leftoversOfInterruptedWritesCreatesRemovesAndDiscardsAreSwept() throws Exception {
        create("v", Map.of());
        Path v = vol("v");
        Files.writeString(v.resolve("activemounts/.A.123.tmp"), "{\"Usage");
        Files.writeString(v.resolve(".metadata.json.9.tmp"), "{");
        Files.writeString(v.resolve("activemounts/.77.tmp"), "");
        Files.createDirectories(v.resolve(".deleting-upper-5/sub"));
        Files.createDirectories(root.resolve(".creating-w-1/upper"));
        Files.createDirectories(root.resolve(".removing-u-2/upper/x"));
        service = newService();
        try (var s = Files.list(root)) {
            assertEquals(List.of(v), s.toList());
        }
        try (var s = Files.list(v)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")));
        }
        assertIdle("v");
        assertEquals(List.of("v"), service.list().stream().map(VolumeInfo::name).toList());
    }

    @Test
    void countedButNotMountedAtMountTimeKeepsCountsAndMounts() throws Exception {
        create("v", Map.of("volatile", "true"));
        Path mp = service.mount("v", "A");
        Files.writeString(mp.resolve("in-use.txt"), "do not discard");
        KernelOverlayMount.unmount(mp); // e.g. someone unmounted it behind the plugin's back
        VolumeInfo info = service.get("v");
        assertEquals(false, info.status().get("mounted"));
        assertNotNull(info.status().get("problem"));
        service.mount("v", "B");
        assertEquals("do not discard", Files.readString(mp.resolve("in-use.txt")),
                "a volume counted as in use is never discarded");
        assertEquals(List.of("A", "B"), activeMountFiles("v"));
        service.unmount("v", "A");
        service.unmount("v", "B");
        assertIdle("v");
    }
}
