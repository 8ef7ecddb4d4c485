package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Something the plugin never mounts (a tmpfs, a bind mount of some directory) at a volume's mountpoint. Adopted as
 * the volume's mount, it was handed to containers: their writes went to it instead of the volume's upper directory,
 * and the last Unmount unmounted it, so they were lost (reproduced through dockerd: a tmpfs mounted there, then
 * {@code docker start} of a container using the volume). A Mount refuses it, saying what to do; inspect shows it.
 */
class ForeignMountTest extends VolumeTestSupport {

    @Test
    void aMountThePluginDidNotMakeIsRefusedAndLeftAlone() throws Exception {
        create("v", Map.of());
        Path mp = Files.createDirectories(vol("v").resolve("mountpoint"));
        run("mount", "-t", "tmpfs", "someone-elses", mp.toString());
        try {
            Files.writeString(mp.resolve("theirs.txt"), "not the volume's");

            VolumeException e = assertThrows(VolumeException.class, () -> service.mount("v", "A"));

            assertTrue(e.getMessage().contains("tmpfs") && e.getMessage().contains("umount " + mp), e.getMessage());
            assertEquals(List.of(), activeMountFiles("v"), "not counted");
            assertEquals("not the volume's", Files.readString(mp.resolve("theirs.txt")), "left alone");
            VolumeInfo info = service.get("v");
            Object problem = info.status().get("problem");
            assertNotNull(problem);
            assertTrue(problem.toString().contains("tmpfs"), problem.toString());
            assertEquals(false, info.status().get("mounted"), "the volume is not mounted: something else is");
            assertNull(info.mountpoint());
            assertNull(service.path("v"));
            assertNull(service.list().get(0).mountpoint(), "nor in List");
        } finally {
            run("umount", mp.toString());
        }
        Path ours = service.mount("v", "A");
        assertEquals("hello from base", Files.readString(ours.resolve("hello.txt")),
                "once it is gone, it mounts as usual");
        service.unmount("v", "A");
        assertIdle("v");
    }
}
