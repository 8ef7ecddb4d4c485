package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class VolumeStoreTest {
    @TempDir
    Path tmp;

    @Test
    void metadataIsTheOriginalsFormatPlusOptionalFields() throws Exception {
        VolumeStore store = new VolumeStore(tmp);
        store.create("a", new VolumeMetadata("/srv/a", false, null, "2026-01-01T00:00:00Z"));
        assertEquals("{\"BaseDirPath\":\"/srv/a\",\"Volatile\":false,\"CreatedAt\":\"2026-01-01T00:00:00Z\"}",
                Files.readString(tmp.resolve("a/metadata.json")));
        store.create("b", new VolumeMetadata("/srv/b", true, "fuse", "2026-01-01T00:00:00Z"));
        assertEquals(new VolumeMetadata("/srv/b", true, "fuse", "2026-01-01T00:00:00Z"), store.readMetadata("b"));

        Files.writeString(tmp.resolve("a/metadata.json"), "{\"BaseDirPath\":\"/srv/a\",\"Volatile\":true,\"Future\":1}");
        VolumeMetadata original = store.readMetadata("a");
        assertEquals("/srv/a", original.baseDirPath());
        assertTrue(original.volatileVolume());
        assertNull(original.strategy());
        assertNull(original.createdAtInstant());
        assertEquals(List.of("a", "b"), store.names());
    }

    @Test
    void countsAreWrittenAtomicallyAndReadBack() throws Exception {
        VolumeStore store = new VolumeStore(tmp);
        store.create("v", new VolumeMetadata("/srv", false, null, Instant.EPOCH.toString()));
        store.writeActiveMount("v", "A", 3);
        store.writeActiveMount("v", "A", 2);
        store.writeActiveMount("v", "B", 1);
        Files.writeString(tmp.resolve("v/activemounts/C"), "not json");     // counted as in use, never ignored
        Files.writeString(tmp.resolve("v/activemounts/.5.tmp"), "{");        // an interrupted write
        assertEquals(Map.of("A", 2, "B", 1, "C", 1), store.activeMounts("v"));
        assertEquals("{\"UsageCount\":2}", Files.readString(tmp.resolve("v/activemounts/A")));
        store.sweepTemporaryFiles("v");
        try (var s = Files.list(tmp.resolve("v/activemounts"))) {
            assertEquals(List.of("A", "B", "C"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        store.deleteActiveMount("v", "A");
        assertEquals(Map.of("B", 1, "C", 1), store.activeMounts("v"));
    }

    @Test
    void unreadableMetadataIsReportedNotHidden() throws Exception {
        VolumeStore store = new VolumeStore(tmp);
        store.create("v", new VolumeMetadata("/srv", false, null, Instant.EPOCH.toString()));
        Files.writeString(tmp.resolve("v/metadata.json"), "{broken");
        String msg = assertThrows(VolumeException.class, () -> store.readMetadata("v")).getMessage();
        assertTrue(msg.contains("unreadable") && msg.contains("metadata.json"), msg);
        assertEquals("no such volume: w", assertThrows(VolumeException.class, () -> store.readMetadata("w")).getMessage());

        // dockerd drops volumes whose Get fails when it starts: Get answers, with the problem in the Status
        OverlayVolumeService service = new OverlayVolumeService(store, "overlay", VolumeServiceFactory.strategies());
        VolumeInfo info = service.get("v");
        assertTrue(((String) info.status().get("problem")).contains("unreadable"), info.toString());
        assertEquals(List.of("v"), service.list().stream().map(VolumeInfo::name).toList());
        assertThrows(VolumeException.class, () -> service.mount("v", "A"), "but it cannot be mounted");
        service.remove("v");
        assertFalse(Files.exists(tmp.resolve("v")), "and it can be removed");
    }

    @Test
    void metadataThatParsesButNamesNoAbsoluteBaseIsUnreadableToo() throws Exception {
        // valid JSON is not yet a volume: a hand-edited or zeroed-out file must not become an internal error (or,
        // for BaseDirPath "", a volume over the daemon's working directory)
        for (String content : List.of("null", "{}", "{\"Volatile\":true}", "{\"BaseDirPath\":\"\"}",
                "{\"BaseDirPath\":\"srv/relative\"}", "{\"BaseDirPath\":null,\"Volatile\":false}")) {
            Path dir = tmp.resolve("root-" + Integer.toHexString(content.hashCode()));
            VolumeStore store = new VolumeStore(dir);
            store.create("v", new VolumeMetadata("/srv", false, null, Instant.EPOCH.toString()));
            Files.writeString(dir.resolve("v/metadata.json"), content);
            String msg = assertThrows(VolumeException.class, () -> store.readMetadata("v"), content).getMessage();
            assertTrue(msg.contains("unreadable") && msg.contains("BaseDirPath"), content + ": " + msg);

            OverlayVolumeService service = new OverlayVolumeService(store, "overlay", VolumeServiceFactory.strategies());
            VolumeInfo info = service.get("v");
            assertTrue(((String) info.status().get("problem")).contains("unreadable"), content + ": " + info);
            assertEquals(List.of("v"), service.list().stream().map(VolumeInfo::name).toList(), content);
            String refused = assertThrows(VolumeException.class, () -> service.mount("v", "A"), content).getMessage();
            assertTrue(refused.contains("unreadable"), content + ": " + refused);
            service.remove("v");
            assertFalse(Files.exists(dir.resolve("v")), content);
        }
    }

    @Test
    void aLockGrantedAfterTheVolumeWasRemovedAndCreatedAgainIsTheNewVolumes() throws Exception {
        VolumeStore store = new VolumeStore(tmp);
        VolumeMetadata meta = new VolumeMetadata("/srv", false, null, Instant.EPOCH.toString());
        store.create("v", meta);
        VolumeLock held = store.lock("v"); // a Remove of v in progress
        java.util.concurrent.CompletableFuture<VolumeLock> waiter =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return store.lock("v"); // a Mount of v waiting for it
                    } catch (VolumeException e) {
                        throw new IllegalStateException(e);
                    }
                });
        awaitBlockedFlock(tmp.resolve("v/activemounts")); // the waiter sits on the old activemounts/ now
        store.delete("v");
        store.create("v", meta); // a Create of the same name before the Mount gets its turn
        held.close();
        try (VolumeLock got = waiter.get(10, java.util.concurrent.TimeUnit.SECONDS)) {
            var other = org.dockerontop.overlay.mount.Flock.tryLockDirectory(tmp.resolve("v/activemounts"));
            other.ifPresent(org.dockerontop.overlay.mount.Flock::close);
            assertTrue(other.isEmpty(), "the waiter holds the lock of the volume now called v, not of the removed one");
        }
    }

    /**
     * Waits until some thread of this process waits for a flock on {@code dir}: the kernel lists such a waiter in
     * /proc/locks as {@code N: -> FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF}.
     */
    private static void awaitBlockedFlock(Path dir) throws Exception {
        long inode = (Long) Files.getAttribute(dir, "unix:ino");
        String pid = " " + ProcessHandle.current().pid() + " ";
        for (int i = 0; i < 3000; i++) {
            for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
                if (line.contains("-> FLOCK") && line.contains(pid) && line.contains(":" + inode + " ")) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        fail("no thread ever waited for the flock on " + dir);
    }
}
