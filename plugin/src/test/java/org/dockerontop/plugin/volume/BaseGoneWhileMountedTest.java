package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.format.Trees;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A volume's base directory removed while the volume is mounted. The overlay keeps the deleted directory as its
 * lower layer, and its root can no longer be listed (ENOENT): a Mount for the next container adopted that mount,
 * and dockerd, which lists the volume before it starts a container, failed the start with its own
 * {@code readdirent .../mountpoint: no such file or directory}, which says nothing about the base (reproduced
 * through dockerd with both strategies). The Mount now refuses with what happened and what to do; a mount no
 * container uses any more is replaced instead. A base renamed while mounted keeps working: the mount still shows it.
 */
class BaseGoneWhileMountedTest extends VolumeTestSupport {
    private Path data;

    @BeforeEach
    void aBaseOfItsOwn() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("f.txt"), "from the base");
        service.create("v", Map.of("base", data.toString()));
    }

    @Test
    void aMountOfAVolumeWhoseBaseWasRemovedWhileMountedSaysSoAndWhatToDo() throws Exception {
        service.mount("v", "A");
        Trees.delete(data);

        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "B")).getMessage();

        assertTrue(msg.contains("base directory " + data + " was removed while the volume was mounted"), msg);
        assertTrue(msg.contains("docker ps --filter volume=v"), msg);
        assertEquals(List.of("A"), activeMountFiles("v"), "B not counted");
        String problem = (String) service.get("v").status().get("problem");
        assertTrue(problem != null && problem.contains("was removed while the volume was mounted"), problem);
        service.unmount("v", "A"); // its container stops
        assertIdle("v");
        String next = assertThrows(VolumeException.class, () -> service.mount("v", "C")).getMessage();
        assertTrue(next.contains("base directory " + data + " no longer exists"), next);
    }

    @Test
    void aBaseRestoredWhileTheOldMountIsStillUsedIsShownOnceItsContainersStop() throws Exception {
        service.mount("v", "A");
        Trees.delete(data);
        Files.createDirectories(data);
        Files.writeString(data.resolve("restored.txt"), "restored");

        String msg = assertThrows(VolumeException.class, () -> service.mount("v", "B")).getMessage();

        assertTrue(msg.contains(data + " is now another directory"), msg);
        service.unmount("v", "A");
        Path mp = service.mount("v", "C");
        assertEquals("restored", Files.readString(mp.resolve("restored.txt")));
        service.unmount("v", "C");
        assertIdle("v");
    }

    @Test
    void inspectTellsABaseRemovedAndRestoredWhileMounted() throws Exception {
        service.mount("v", "A");
        assertNull(service.get("v").status().get("problem"), "nothing to tell yet");
        Trees.delete(data);
        Files.createDirectories(data);

        String problem = (String) service.get("v").status().get("problem");
        assertTrue(problem != null && problem.contains(data + " is now another directory")
                && problem.contains("docker ps --filter volume=v"), problem);
        service = newService(); // the plugin restarted: what the mount shows is still known
        problem = (String) service.get("v").status().get("problem");
        assertTrue(problem != null && problem.contains(data + " is now another directory"), problem);

        service.unmount("v", "A");
        assertNull(service.get("v").status().get("problem"), "unmounted: the next Mount mounts the restored base");
        Path mp = service.mount("v", "B");
        assertNull(service.get("v").status().get("problem"), "mounted afresh: " + service.get("v").status());
        assertTrue(Files.exists(mp));
        service.unmount("v", "B");
        assertIdle("v");
    }

    @Test
    void inspectTellsABaseMovedAsideAndReplacedWhileMounted() throws Exception {
        Path mp = service.mount("v", "A");
        Files.move(data, tmp.resolve("moved-aside"));
        Files.createDirectories(data);
        Files.writeString(data.resolve("new.txt"), "new");

        String problem = (String) service.get("v").status().get("problem");

        assertTrue(problem != null && problem.contains(data + " was replaced while the volume was mounted")
                && problem.contains("docker ps --filter volume=v"), problem);
        assertEquals("from the base", Files.readString(mp.resolve("f.txt")), "the mount shows the old directory");
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void aMountNoContainerUsesAnyMoreIsReplacedOnceTheBaseIsRestored() throws Exception {
        service.mount("v", "A");
        service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy);
        service.recover(() -> true); // A's container stopped while the plugin was down: its count is cleared
        Trees.delete(data);
        Files.createDirectories(data);
        Files.writeString(data.resolve("restored.txt"), "restored");

        Path mp = service.mount("v", "B");

        assertEquals("restored", Files.readString(mp.resolve("restored.txt")));
        assertEquals(2, overlay.mounts.get(), "mounted afresh");
        service.unmount("v", "B");
        assertIdle("v");
    }

    @Test
    void aBaseRenamedWhileMountedIsStillShownByTheMount() throws Exception {
        service.mount("v", "A");
        Files.move(data, tmp.resolve("renamed"));

        Path mp = service.mount("v", "B");

        assertEquals("from the base", Files.readString(mp.resolve("f.txt")), "the mount keeps the directory it has");
        service.unmount("v", "A");
        service.unmount("v", "B");
        assertIdle("v");
    }
}
