package org.dockerontop.plugin.volume;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The volume service against real directories and real kernel overlay mounts. */
class OverlayVolumeServiceTest extends VolumeTestSupport {

    @Test
    void createWritesTheOriginalLayout() throws Exception {
        create("v1", Map.of("volatile", "yes"));
        assertTrue(Files.isDirectory(vol("v1").resolve("upper")));
        assertTrue(Files.isDirectory(vol("v1").resolve("activemounts")));
        assertFalse(Files.exists(vol("v1").resolve("workdir")));
        assertFalse(Files.exists(vol("v1").resolve("mountpoint")));
        Map<?, ?> json = new ObjectMapper().readValue(vol("v1").resolve("metadata.json").toFile(), Map.class);
        assertEquals(base.toString(), json.get("BaseDirPath"));
        assertEquals(true, json.get("Volatile"));
        assertFalse(json.containsKey("Strategy"), "no strategy given: follows the daemon");
        assertNotNull(Instant.parse((String) json.get("CreatedAt")));
        try (var s = Files.list(root)) {
            assertEquals(List.of(vol("v1")), s.toList(), "no temporary directories left");
        }
        String again = assertThrows(VolumeException.class, () -> create("v1", Map.of())).getMessage();
        assertTrue(again.contains("already exists"), again);
    }

    @Test
    void firstMountMountsLaterMountsCountLastUnmountUnmounts() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        assertEquals(vol("v").resolve("mountpoint"), mp);
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        Files.writeString(mp.resolve("hello.txt"), "changed");
        Files.writeString(mp.resolve("new.txt"), "new");

        assertEquals(mp, service.mount("v", "B"));
        assertEquals(mp, service.mount("v", "A")); // docker cp reuses the container's mount ID
        assertEquals(1, overlay.mounts.get(), "mounted once");
        assertEquals(1, mountsAt("v"));
        assertEquals("{\"UsageCount\":2}", count("v", "A"));
        assertEquals("{\"UsageCount\":1}", count("v", "B"));
        assertEquals(3, service.get("v").status().get("activeMounts"));

        service.unmount("v", "A");
        service.unmount("v", "B");
        assertTrue(mounted("v"), "A still holds one use");
        assertEquals(List.of("A"), activeMountFiles("v"));
        service.unmount("v", "A");
        assertIdle("v");
        assertEquals(1, overlay.unmounts.get());

        assertEquals("changed", Files.readString(vol("v").resolve("upper/hello.txt")));
        assertEquals("new", Files.readString(vol("v").resolve("upper/new.txt")));
        assertBaseUntouched();

        // changes persist into the next use
        mp = service.mount("v", "C");
        assertEquals("changed", Files.readString(mp.resolve("hello.txt")));
        service.unmount("v", "C");
        assertIdle("v");
    }

    @Test
    void unmountOfAnUnknownIdChangesNothing() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        String msg = assertThrows(VolumeException.class, () -> service.unmount("v", "B")).getMessage();
        assertTrue(msg.contains("no active mount with ID B"), msg);
        assertTrue(mounted("v"));
        assertEquals(List.of("A"), activeMountFiles("v"));
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void volatileChangesAreDiscardedAtTheNextMountNotAtUnmount() throws Exception {
        create("tmpvol", Map.of("volatile", "true"));
        Path mp = service.mount("tmpvol", "A");
        Files.writeString(mp.resolve("scratch.txt"), "temporary");
        Files.delete(mp.resolve("hello.txt")); // a whiteout in the upper
        service.mount("tmpvol", "B"); // in use: no discard while mounted
        assertTrue(Files.exists(mp.resolve("scratch.txt")));
        service.unmount("tmpvol", "A");
        service.unmount("tmpvol", "B");
        assertIdle("tmpvol");
        assertEquals("temporary", Files.readString(vol("tmpvol").resolve("upper/scratch.txt")),
                "still recoverable after the last unmount");

        mp = service.mount("tmpvol", "C");
        assertFalse(Files.exists(mp.resolve("scratch.txt")), "discarded at the next mount");
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")), "the deletion is discarded too");
        service.awaitBackgroundWork(); // the old upper is deleted after Mount has answered
        try (var s = Files.list(vol("tmpvol"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no discarded upper left");
        }
        service.unmount("tmpvol", "C");
        assertBaseUntouched();
    }

    @Test
    void volumeInTheOriginalsLayoutMountsWithItsChanges() throws Exception {
        // What the Go docker-on-top leaves: metadata.json with two fields, an upper with changes.
        Path v = Files.createDirectories(root.resolve("legacy"));
        Files.writeString(v.resolve("metadata.json"), "{\"BaseDirPath\":\"" + base + "\",\"Volatile\":false}");
        Files.createDirectories(v.resolve("activemounts"));
        Path upper = Files.createDirectories(v.resolve("upper"));
        Files.writeString(upper.resolve("added.txt"), "added by a container");
        Files.createDirectories(upper.resolve("dir"));
        Files.writeString(upper.resolve("dir/inner.txt"), "modified");
        mknodWhiteout(upper.resolve("hello.txt"));
        Instant dirTime = Instant.parse("2024-01-02T03:04:05Z");
        Files.setLastModifiedTime(v, FileTime.from(dirTime));

        service = newService(); // start-up sees it
        VolumeInfo info = service.get("legacy");
        assertEquals(dirTime, info.createdAt(), "CreatedAt from the directory's time");
        assertEquals(false, info.status().get("volatile"));
        assertEquals("overlay", info.status().get("configuredStrategy"), "no Strategy field: the daemon default");
        assertEquals(List.of("legacy"), service.list().stream().map(VolumeInfo::name).toList());

        Path mp = service.mount("legacy", "X");
        assertEquals("added by a container", Files.readString(mp.resolve("added.txt")));
        assertEquals("modified", Files.readString(mp.resolve("dir/inner.txt")));
        assertFalse(Files.exists(mp.resolve("hello.txt")), "the whiteout hides the base file");
        service.unmount("legacy", "X");
        assertIdle("legacy");
        assertEquals(dirTime, service.get("legacy").createdAt(), "CreatedAt stays stable after mounts");
        Map<?, ?> json = new ObjectMapper().readValue(v.resolve("metadata.json").toFile(), Map.class);
        assertEquals(base.toString(), json.get("BaseDirPath"));
        assertBaseUntouched();
    }

    static void mknodWhiteout(Path p) throws Exception {
        Process mk = new ProcessBuilder("mknod", p.toString(), "c", "0", "0").inheritIO().start();
        assertEquals(0, mk.waitFor());
    }

    @Test
    void longestNamesAndIdsWork() throws Exception {
        String name = "n".repeat(255);
        String id = "i".repeat(255);
        create(name, Map.of());
        service.mount(name, id);
        assertEquals(List.of(id), activeMountFiles(name));
        service.unmount(name, id);
        assertIdle(name);
        service.remove(name);
        assertThrows(VolumeException.class, () -> create("n".repeat(256), Map.of()));
    }

    @Test
    void basePathWithCommasAndColonsMounts() throws Exception {
        Path odd = Files.createDirectories(tmp.resolve("a,b:c d"));
        Files.writeString(odd.resolve("f"), "odd");
        service.create("odd", Map.of("base", odd.toString()));
        Path mp = service.mount("odd", "A");
        assertEquals("odd", Files.readString(mp.resolve("f")));
        service.unmount("odd", "A");
        assertIdle("odd");
    }

    @Test
    void getReportsStatus() throws Exception {
        create("v", Map.of("volatile", "no"));
        VolumeInfo idle = service.get("v");
        assertNull(idle.mountpoint());
        assertEquals(Map.of("base", base.toString(), "volatile", false, "mounted", false, "activeMounts", 0,
                "strategy", "overlay", "configuredStrategy", "overlay"), idle.status());
        service.mount("v", "A");
        VolumeInfo used = service.get("v");
        assertEquals(vol("v").resolve("mountpoint"), used.mountpoint());
        assertEquals(true, used.status().get("mounted"));
        assertEquals(1, used.status().get("activeMounts"));
        assertEquals("overlay", used.status().get("strategy"));
        assertNotNull(used.status().get("strategyReason"));
        assertEquals(vol("v").resolve("mountpoint"), service.path("v"));
        service.unmount("v", "A");
        assertNull(service.path("v"));
    }

    @Test
    void unknownVolumesAndBadNames() {
        for (String bad : new String[]{"nope", "../etc", "a/b", ""}) {
            assertThrows(VolumeException.class, () -> service.get(bad), bad);
            assertThrows(VolumeException.class, () -> service.mount(bad, "A"), bad);
            assertThrows(VolumeException.class, () -> service.unmount(bad, "A"), bad);
            assertThrows(VolumeException.class, () -> service.remove(bad), bad);
            assertThrows(VolumeException.class, () -> service.path(bad), bad);
        }
        assertEquals("no such volume: nope",
                assertThrows(VolumeException.class, () -> service.get("nope")).getMessage());
    }

    @Test
    void removeUnmountsLeftoversAndDeletesState() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        Files.writeString(mp.resolve("x"), "x");
        service.remove("v"); // dockerd's counts were stale: it believed nobody used it
        assertFalse(Files.exists(vol("v")));
        assertFalse(mounted("v"));
        try (var s = Files.list(root)) {
            assertEquals(0, s.count(), "no trash left");
        }
        assertThrows(VolumeException.class, () -> service.get("v"));
        assertBaseUntouched();
    }

    @Test
    void removeOfABusyVolumeIsRefusedAndChangesNothing() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        try (InputStream in = Files.newInputStream(mp.resolve("hello.txt"))) {
            String msg = assertThrows(VolumeException.class, () -> service.remove("v")).getMessage();
            assertTrue(msg.contains("busy"), msg);
            assertTrue(mounted("v"));
            assertEquals(List.of("A"), activeMountFiles("v"));
        }
        service.remove("v");
        assertFalse(Files.exists(vol("v")));
    }

    @Test
    void busyUnmountLeavesTheVolumeMountedAndCountedThenSucceeds() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        try (InputStream in = Files.newInputStream(mp.resolve("hello.txt"))) {
            String msg = assertThrows(VolumeException.class, () -> service.unmount("v", "A")).getMessage();
            assertTrue(msg.contains("busy") && msg.contains("fuser"), msg);
            assertTrue(mounted("v"));
            assertEquals("{\"UsageCount\":1}", count("v", "A"));
            assertTrue(Files.isDirectory(vol("v").resolve("workdir")));
        }
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void restartedPluginAdoptsTheMountInsteadOfMountingTwice() throws Exception {
        create("v", Map.of());
        service.mount("v", "A");
        service = newService(); // plugin restarted; dockerd re-sends Mount with the same ID and new ones
        assertTrue(mounted("v"), "start-up leaves a mounted volume alone");
        assertEquals(List.of("A"), activeMountFiles("v"));
        assertEquals("adopted a mount that existed before the plugin started",
                service.get("v").status().get("strategyReason"));
        service.mount("v", "A");
        service.mount("v", "B");
        assertEquals(1, mountsAt("v"));
        assertEquals(1, overlay.mounts.get());
        service.unmount("v", "B");
        service.unmount("v", "A");
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void createRefusesABaseThatContainsOrLiesInsideTheStateDirectory() throws Exception {
        create("v", Map.of());
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-tmp"), tmp);
        // tmp holds the state root; a volume's upper lies inside it; the link resolves to tmp
        for (Path bad : List.of(tmp, vol("v").resolve("upper"), root, link)) {
            String msg = assertThrows(VolumeException.class, () -> create("w", Map.of("base", bad.toString())),
                    bad.toString()).getMessage();
            assertTrue(msg.contains(root.toRealPath().toString()) && msg.contains("state directory"), msg);
            assertTrue(msg.contains("--root") || msg.contains("outside"), "says what to do: " + msg);
        }
        try (var s = Files.list(root)) {
            assertEquals(List.of(vol("v")), s.toList(), "a refused create leaves nothing behind");
        }
        create("w", Map.of("base", base.toString())); // a sibling of the state root is fine
    }

    @Test
    void inspectSaysWhenTheBaseDirectoryIsGoneBeforeAMountFailsOnIt() throws Exception {
        create("v", Map.of());
        assertNull(service.get("v").status().get("problem"), "nothing wrong yet");
        Path moved = Files.move(base, tmp.resolve("base.moved"));
        Object problem = service.get("v").status().get("problem");
        assertNotNull(problem, "Status: " + service.get("v").status());
        assertTrue(problem.toString().contains(base.toString()) && problem.toString().contains("no longer exists"),
                problem.toString());
        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "A")).getMessage();
        assertTrue(msg.contains("no longer exists"), msg);
        Files.move(moved, base);
        assertNull(service.get("v").status().get("problem"));
    }
}
