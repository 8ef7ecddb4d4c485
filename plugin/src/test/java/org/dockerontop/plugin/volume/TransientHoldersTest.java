package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A container being started holds a copy of every host mount for a moment: runc unshares a new mount namespace,
 * a copy of the host's, and drops the host's mounts only at its pivot_root. Found by the integration suite while
 * other containers started on the host: a last Unmount saw such a copy ("runc:[2:INIT] in another mount
 * namespace") and left the volume mounted for good (until its next use). What holds a mount only for a moment
 * must not keep it mounted, refuse its removal or keep a volatile volume from discarding.
 */
class TransientHoldersTest extends VolumeTestSupport {

    /** Says "held" for the first {@code times} lookups, then nothing. */
    private static HolderLookup heldFor(int times, AtomicInteger lookups) {
        return mount -> lookups.incrementAndGet() <= times
                ? List.of("process 4242 (runc:[2:INIT]) in another mount namespace, at " + mount.mountpoint())
                : List.of();
    }

    private void serviceWith(HolderLookup holders) throws Exception {
        service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy, holders,
                LostUses.never(), OverlayVolumeService.HOLDER_SETTLE_TIME);
        service.recover();
    }

    @Test
    void aLastUnmountWaitsOutAContainerThatIsStarting() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        serviceWith(heldFor(2, lookups));
        create("v", Map.of());
        service.mount("v", "A");

        service.unmount("v", "A");

        assertIdle("v");
        assertEquals(3, lookups.get(), "looked again until the copy was gone");
    }

    @Test
    void aRemoveWaitsOutAContainerThatIsStarting() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        create("v", Map.of());
        service.mount("v", "A"); // a last Unmount killed before it unmounted
        Files.delete(vol("v").resolve("activemounts/A"));
        serviceWith(heldFor(2, lookups));

        service.remove("v");

        assertFalse(Files.exists(vol("v")));
    }

    @Test
    void aVolatileVolumeLeftMountedDiscardsDespiteAContainerThatIsStarting() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        create("v", Map.of("volatile", "true"));
        Files.writeString(service.mount("v", "A").resolve("kept.txt"), "previous use");
        Files.delete(vol("v").resolve("activemounts/A")); // a last Unmount killed before it unmounted
        serviceWith(heldFor(2, lookups));

        Path mp = service.mount("v", "B");

        assertFalse(Files.exists(mp.resolve("kept.txt")), "discarded");
        service.unmount("v", "B");
        assertIdle("v");
    }

    @Test
    void aLastingHolderStillKeepsTheMount() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        serviceWith(heldFor(Integer.MAX_VALUE, lookups));
        create("v", Map.of());
        service.mount("v", "A");

        service.unmount("v", "A");

        assertTrue(mounted("v"));
        assertEquals(List.of(), activeMountFiles("v"));
        serviceWith(heldFor(0, lookups));
        service.remove("v");
    }

    /**
     * A holder that outlasts the settle time (a tool or test that unshared a mount namespace, copying every host mount,
     * on a loaded host: the integration suite once saw "process ... (sh) in another mount namespace" for longer than
     * it): the last Unmount leaves the mount, and it is released once the holder is gone.
     */
    @Test
    void aMountLeftForAHolderThatOutlastsTheSettleTimeIsReleasedOnceItIsGone() throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // three times the settle time
        serviceWith(mount -> System.nanoTime() < until
                ? List.of("process 4242 (sh) in another mount namespace, at " + mount.mountpoint()) : List.of());
        create("v", Map.of());
        service.mount("v", "A");

        service.unmount("v", "A");

        assertTrue(mounted("v"), "held for longer than the settle time: left mounted");
        awaitIdle("v");
        assertFalse(service.watchingHeldMount("v"));
    }

    /** The same with a real holder: a process in a private mount namespace made while the volume was mounted. */
    @Test
    void aMountHeldByAnotherNamespaceIsReleasedWhenItsProcessExits() throws Exception {
        serviceWith(HolderLookup.PROC);
        create("v", Map.of());
        service.mount("v", "A");
        Process holder = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sleep", "3").start();
        awaitHeld("v", holder);

        service.unmount("v", "A");

        assertTrue(mounted("v"), "left mounted while the process holds its copy");
        awaitIdle("v");
        assertFalse(holder.isAlive(), "released only once the holder exited");
    }

    @Test
    void aMountAdoptedBeforeItsHolderLeftStaysMounted() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        serviceWith(heldFor(20, lookups));
        create("v", Map.of());
        service.mount("v", "A");
        service.unmount("v", "A");
        Path mp = service.mount("v", "B"); // adopts the mount left behind

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (service.watchingHeldMount("v") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(service.watchingHeldMount("v"), "looked no more once counted");
        assertTrue(mounted("v"), "in use: kept");
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        service.unmount("v", "B");
        assertIdle("v");
    }

    private void awaitIdle(String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (mounted(name) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(100); // its directories are removed right after the unmount, under the volume's lock
        try (VolumeLock lock = new VolumeStore(root).lock(name)) {
            assertIdle(name);
        }
    }

    private void awaitHeld(String name, Process holder) throws Exception {
        org.dockerontop.overlay.mount.MountEntry entry = MountTable.read().at(vol(name).resolve("mountpoint"))
                .orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (HolderLookup.PROC.others(entry).isEmpty()) {
            assertTrue(holder.isAlive() && System.nanoTime() < deadline, "the holder never held the mount");
            Thread.sleep(10);
        }
    }
}
