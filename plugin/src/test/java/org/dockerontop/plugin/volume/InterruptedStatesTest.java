package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The on-disk states a kill -9 can leave in the middle of a multi-step change, built directly in a temp root
 * (so each one is reproduced every time, not only when a random kill happens to hit it), then checked against
 * what start-up recovery and the next request make of them: the volume is usable or clearly refused, and no
 * change the plugin promised to keep is lost.
 */
class InterruptedStatesTest extends VolumeTestSupport {

    /** A volatile volume whose previous use left {@code kept.txt} in its upper, idle. */
    /** The state a volatile discard leaves once the new empty upper and the mount directories are made. */
    private static void discardInterruptedAfterTheNewUpper(Path v) throws IOException {
        Files.move(v.resolve("upper"), v.resolve(VolumeStore.DISCARDED_UPPER + "1"));
        Files.createDirectories(v.resolve("upper"));
        Files.createDirectories(v.resolve("workdir"));
        Files.createDirectories(v.resolve("mountpoint"));
    }

    private Path volatileWithPreviousChanges(String v) throws Exception {
        create(v, Map.of("volatile", "true"));
        Path mp = service.mount(v, "A");
        Files.writeString(mp.resolve("kept.txt"), "previous use");
        service.unmount(v, "A");
        service.awaitBackgroundWork();
        assertIdle(v);
        return vol(v);
    }

    private List<String> hiddenEntries(String v) throws Exception {
        try (var s = Files.list(vol(v))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
        }
    }

    /** The next Mount of the volatile volume still discards, and the volume works. */
    private void nextMountDiscardsAndWorks(String v) throws Exception {
        Path mp = service.mount(v, "B");
        assertFalse(Files.exists(mp.resolve("kept.txt")), "a volatile volume starts afresh at its next mount");
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        service.unmount(v, "B");
        service.awaitBackgroundWork();
        assertIdle(v);
        assertEquals(List.of(), hiddenEntries(v));
    }

    @Test
    void volatileDiscardKilledBeforeTheNewUpperWasMadeLosesNothing() throws Exception {
        Path v = volatileWithPreviousChanges("v");
        // Mount killed between "move the old upper aside" and "make the new upper": the Mount never answered
        Files.move(v.resolve("upper"), v.resolve(VolumeStore.DISCARDED_UPPER + "1"));
        startUpPutsThePreviousChangesBack(v, "v");
    }

    @Test
    void volatileDiscardKilledBeforeTheMountLosesNothing() throws Exception {
        Path v = volatileWithPreviousChanges("v");
        // killed after the new (empty) upper and the mount directories were made, before the mount
        discardInterruptedAfterTheNewUpper(v);
        startUpPutsThePreviousChangesBack(v, "v");
    }

    /** Starts the service over {@code v}'s interrupted discard: the changes are back, and the next Mount discards them. */
    private void startUpPutsThePreviousChangesBack(Path v, String name) throws Exception {
        service = newService();
        assertEquals("previous use", Files.readString(v.resolve("upper/kept.txt")),
                "a Mount that never took effect must not lose the previous changes");
        assertEquals(List.of(), hiddenEntries(name));
        assertIdle(name);
        nextMountDiscardsAndWorks(name);
    }

    @Test
    void volatileDiscardKilledAfterTheMountTookEffectDeletesTheOldChanges() throws Exception {
        Path v = volatileWithPreviousChanges("v");
        // killed after the mount on the new upper, before the count: the discard took effect
        discardInterruptedAfterTheNewUpper(v);
        KernelOverlayMount.mount(base, v.resolve("upper"), v.resolve("workdir"), v.resolve("mountpoint"), "x");
        Files.writeString(v.resolve("mountpoint/new.txt"), "new use");
        service = newService();
        assertEquals(List.of(), hiddenEntries("v"), "the discarded changes are deleted");
        assertTrue(mounted("v"), "the mount is left alone");
        // dockerd's retry: that Mount never answered, so no container had the mount; it starts afresh
        Path mp = service.mount("v", "A");
        assertFalse(Files.exists(mp.resolve("new.txt")));
        assertFalse(Files.exists(mp.resolve("kept.txt")));
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        service.unmount("v", "A");
        assertIdle("v");
    }

    /** A volatile volume in use by {@code A} with a change, whose last Unmount was killed after it uncounted A. */
    private Path volatileLastUnmountKilledBeforeItUnmounted(String v) throws Exception {
        create(v, Map.of("volatile", "true"));
        Path mp = service.mount(v, "A");
        Files.writeString(mp.resolve("kept.txt"), "previous use");
        Files.delete(vol(v).resolve("activemounts/A"));
        service = newService();
        assertTrue(mounted(v), "start-up leaves a mount alone");
        return mp;
    }

    @Test
    void volatileLastUnmountKilledBeforeTheUnmountStillDiscardsAtTheNextMount() throws Exception {
        volatileLastUnmountKilledBeforeItUnmounted("v");
        nextMountDiscardsAndWorks("v");
    }

    @Test
    void volatileMountHeldInAnotherNamespaceIsAdoptedAndKeptUntilNothingHoldsIt() throws Exception {
        Path mp = volatileLastUnmountKilledBeforeItUnmounted("v");
        // e.g. a container still running with a private copy of the mount: unmounting here would not end it,
        // and the discard would delete its files
        Process holder = holderInAnotherNamespace();
        try {
            Path again = service.mount("v", "B");
            assertEquals(mp, again);
            assertEquals("previous use", Files.readString(again.resolve("kept.txt")), "adopted as it is");
            service.unmount("v", "B");
            assertTrue(mounted("v"), "a last Unmount leaves a volatile mount that is held elsewhere");
            Path theirs = Path.of("/proc/" + holder.pid() + "/root").resolve(mp.toString().substring(1));
            assertEquals("previous use", Files.readString(theirs.resolve("kept.txt")), "nothing deleted under the holder");
            Path third = service.mount("v", "C");
            assertEquals("previous use", Files.readString(third.resolve("kept.txt")), "adopted again while held");
            service.unmount("v", "C");
        } finally {
            holder.destroyForcibly().waitFor();
        }
        nextMountDiscardsAndWorks("v"); // once nobody holds it, the next use starts afresh
    }

    @Test
    void lastUnmountOfAVolumeHeldInAnotherNamespaceLeavesItMountedAndWorkingThere() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        Process holder = holderInAnotherNamespace();
        try {
            service.unmount("v", "A");
            assertTrue(mounted("v"), "unmounting here would not end the holder's copy");
            assertEquals(List.of(), activeMountFiles("v"), "but no use is counted any more");
            // the holder's copy still writes through the same overlay: a copy-up needs its workdir
            Path theirs = Path.of("/proc/" + holder.pid() + "/root").resolve(mp.toString().substring(1));
            Files.writeString(theirs.resolve("hello.txt"), "changed by the holder");
            assertEquals("changed by the holder", Files.readString(vol("v").resolve("upper/hello.txt")));
            assertEquals(mp, service.mount("v", "B"));
            assertEquals(1, overlay.mounts.get(), "adopted, never a second overlay over the same upper");
            service.unmount("v", "B");
        } finally {
            holder.destroyForcibly().waitFor();
        }
        service.mount("v", "C");
        service.unmount("v", "C"); // nothing holds it now: the last Unmount unmounts
        assertIdle("v");
        assertEquals("changed by the holder", Files.readString(vol("v").resolve("upper/hello.txt")), "no change lost");
        assertBaseUntouched();
    }

    /** Starts a process holding a private copy of every mount (e.g. a container still running). */
    private Process holderInAnotherNamespace() throws Exception {
        Path ready = tmp.resolve("holder-ready");
        Files.deleteIfExists(ready);
        Process holder = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
                "touch " + ready + " && exec sleep 60").start();
        for (int i = 0; i < 500 && !Files.exists(ready); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(ready), "the holder did not start");
        return holder;
    }

    @Test
    void removingAVolumeWhoseMountIsHeldElsewhereIsRefusedAndDeletesNothing() throws Exception {
        for (String volatileOption : List.of("false", "true")) {
            String v = "v" + volatileOption;
            create(v, Map.of("volatile", volatileOption));
            Path mp = service.mount(v, "A");
            Files.writeString(mp.resolve("kept.txt"), "in use");
            if (volatileOption.equals("true")) {
                Files.delete(vol(v).resolve("activemounts/A")); // a last Unmount killed before it unmounted
            }
            Process holder = holderInAnotherNamespace();
            try {
                VolumeException e = assertThrows(VolumeException.class, () -> service.remove(v));
                assertTrue(e.getMessage().contains("process " + holder.pid()), e.getMessage());
                assertEquals("in use", Files.readString(vol(v).resolve("upper/kept.txt")), "nothing deleted");
                assertTrue(mounted(v));
                assertNotNull(service.get(v), "the volume still exists");
            } finally {
                holder.destroyForcibly().waitFor();
            }
            service.remove(v); // nothing holds it any more
            assertFalse(Files.exists(vol(v)));
        }
    }

    @Test
    void whenOtherHoldersCannotBeFoundOutTheMountCountsAsHeld() throws Exception {
        HolderLookup blind = m -> {
            throw new java.io.IOException("/proc/self/mountinfo: No such file or directory");
        };
        service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy, blind);
        service.recover();
        create("k", Map.of());
        Files.writeString(service.mount("k", "A").resolve("kept.txt"), "in use");
        VolumeException e = assertThrows(VolumeException.class, () -> service.remove("k"));
        assertTrue(e.getMessage().contains("looking for other holders failed: /proc/self/mountinfo"), e.getMessage());
        assertEquals("in use", Files.readString(vol("k").resolve("upper/kept.txt")), "nothing deleted");
        assertTrue(mounted("k"));

        create("v", Map.of("volatile", "true"));
        Files.writeString(service.mount("v", "A").resolve("kept.txt"), "previous use");
        service.unmount("v", "A");
        assertTrue(mounted("v"), "a volatile mount that may be held is left for later, not discarded");
        assertEquals("previous use", Files.readString(service.mount("v", "B").resolve("kept.txt")), "adopted");
        service.unmount("v", "B");

        service = newService(); // holders can be told again
        service.remove("k");
        assertFalse(Files.exists(vol("k")));
        nextMountDiscardsAndWorks("v");
    }

    @Test
    void volatileUseEndedBeforeItsDiscardedChangesWereDeletedDoesNotBringThemBack() throws Exception {
        Path v = volatileWithPreviousChanges("v");
        // a later Mount succeeded and its user left (nothing written); killed while deleting the old changes
        Path mp = service.mount("v", "C");
        service.unmount("v", "C");
        service.awaitBackgroundWork();
        Path aside = Files.createDirectories(v.resolve(VolumeStore.DELETING_UPPER + "1"));
        Files.writeString(aside.resolve("kept.txt"), "previous use, half deleted");
        service = newService();
        assertEquals(List.of(), hiddenEntries("v"));
        try (var s = Files.list(v.resolve("upper"))) {
            assertEquals(0, s.count(), "changes that a successful Mount discarded stay discarded");
        }
        assertIdle("v");
    }

    @Test
    void anInterruptedCreateOfTheOriginalIsClearedAtStartUp() throws Exception {
        // the Go original makes NAME/, then upper/ and activemounts/, then writes metadata.json: killed in between
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b/upper"));
        Files.createDirectories(root.resolve("b/activemounts"));
        service = newService();
        assertFalse(Files.exists(root.resolve("a")));
        assertFalse(Files.exists(root.resolve("b")));
        for (String v : List.of("a", "b")) {
            create(v, Map.of()); // the name can be used again
            Path mp = service.mount(v, "A");
            assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
            service.unmount(v, "A");
            assertIdle(v);
        }
    }

    @Test
    void aDirectoryWithoutMetadataButWithContentIsKeptAndCreateSaysWhatToDo() throws Exception {
        Files.createDirectories(root.resolve("c/upper"));
        Files.createDirectories(root.resolve("c/activemounts"));
        Files.writeString(root.resolve("c/upper/data.txt"), "someone's data");
        service = newService();
        assertEquals("someone's data", Files.readString(root.resolve("c/upper/data.txt")), "never deleted");
        assertEquals(List.of(), service.list());
        String msg = assertThrows(VolumeException.class, () -> create("c", Map.of())).getMessage();
        assertTrue(msg.contains(root.resolve("c").toString()), msg);
        assertTrue(msg.contains("metadata.json"), msg);
        assertFalse(msg.contains("docker volume rm"), "dockerd does not know the volume, so rm cannot help: " + msg);
    }

    @Test
    void aTornMetadataFileIsRefusedWithAWayOut() throws Exception {
        // our writes are atomic, the original's are not: killed while writing metadata.json
        create("v", Map.of());
        Files.writeString(vol("v").resolve("metadata.json"), "{\"BaseDirPath\": \"/sr");
        service = newService();
        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "A")).getMessage();
        assertTrue(msg.contains(vol("v").resolve("metadata.json").toString()), msg);
        assertTrue(msg.contains("docker volume rm v"), msg);
        assertFalse(msg.contains("remove that file"), "without metadata.json the volume disappears from dockerd's "
                + "view but keeps its name: " + msg);
        assertEquals(List.of("v"), service.list().stream().map(VolumeInfo::name).toList());
        service.remove("v"); // the way out works
        create("v", Map.of());
    }

    @Test
    void aStateRootReachedThroughASymbolicLinkKeepsItsMountsAcrossARestart() throws Exception {
        // e.g. /var/lib/docker-on-top linked to a bigger disk: the mount table names the real path
        Path real = Files.createDirectories(tmp.resolve("real-state"));
        root = Files.createSymbolicLink(tmp.resolve("linked-state"), real);
        service = newService();
        create("v", Map.of("volatile", "true"));
        Path mp = service.mount("v", "A");
        Files.writeString(mp.resolve("in-use.txt"), "a running container's data");
        assertEquals(mp, service.path("v"), "Path sees the mount");

        service = newService(); // restart: the volume is in use, its count must stay
        assertEquals(List.of("A"), activeMountFiles("v"));
        Path again = service.mount("v", "B");
        assertEquals("a running container's data", Files.readString(again.resolve("in-use.txt")),
                "the second user shares the mount, nothing discarded");
        Path realMp = real.resolve("v/mountpoint");
        assertEquals(1, org.dockerontop.overlay.mount.MountTable.read().entries().stream()
                .filter(e -> e.mountpoint().equals(realMp)).count(), "not mounted twice");
        service.unmount("v", "A");
        service.unmount("v", "B");
        assertFalse(org.dockerontop.overlay.mount.MountTable.read().isMountpoint(realMp));
        assertIdle("v");
    }

    @Test
    void startUpThatCannotBackfillCreatedAtStillClearsStaleCounts() throws Exception {
        // an original volume (no CreatedAt) counted but not mounted after a crash, on a disk where
        // metadata.json cannot be rewritten (full, or as here immutable)
        create("v", Map.of());
        Path v = vol("v");
        Files.writeString(v.resolve("metadata.json"), "{\"BaseDirPath\":\"" + base + "\",\"Volatile\":false}");
        Files.writeString(v.resolve("activemounts/A"), "{\"UsageCount\":1}");
        Files.createDirectories(v.resolve("mountpoint"));
        chattr("+i", v);
        try {
            service = newService();
            assertEquals(List.of(), activeMountFiles("v"), "a stale count is cleared all the same");
        } finally {
            chattr("-i", v);
        }
        Path mp = service.mount("v", "B");
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        service.unmount("v", "B");
        assertIdle("v");
    }

    private static void chattr(String flag, Path p) throws Exception {
        assertEquals(0, new ProcessBuilder("chattr", flag, p.toString()).inheritIO().start().waitFor(), "chattr");
    }
}
