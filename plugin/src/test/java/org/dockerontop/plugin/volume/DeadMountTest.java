package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.Syscalls;
import org.dockerontop.plugin.mount.MountStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A mount whose FUSE process died is still in the mount table but answers ENOTCONN: Get reports it,
 * Mount detaches it and mounts anew (never hands it to a container), start-up leaves it to the next Mount.
 */
class DeadMountTest extends VolumeTestSupport {
    private final FuseOverlayfsStrategy fuse = new FuseOverlayfsStrategy();

    @Override
    MountStrategy strategy(String name) throws VolumeException {
        return name.equals("fuse") ? fuse : super.strategy(name);
    }

    @AfterEach
    void stopServers() {
        fuse.stopAll();
    }

    @Test
    void deadFuseMountIsReportedThenReplacedAtMount() throws Exception {
        service.create("f", Map.of("base", base.toString(), "strategy", "fuse"));
        Path mp = service.mount("f", "A");
        Files.writeString(mp.resolve("kept.txt"), "kept");
        VolumeInfo live = service.get("f");
        assertEquals(true, live.status().get("mounted"));
        assertEquals("fuse", live.status().get("strategy"));

        fuse.kill(mp);
        assertEquals(Syscalls.ENOTCONN, Syscalls.statfsErrno(mp), "a dead FUSE mount answers ENOTCONN");
        VolumeInfo dead = service.get("f");
        assertEquals(false, dead.status().get("mounted"));
        assertTrue(((String) dead.status().get("problem")).contains("dead"), dead.status().toString());
        assertNull(service.path("f"));

        service = newService(); // start-up leaves the dead mount to the next Mount
        assertEquals(List.of("A"), activeMountFiles("f"));

        Path again = service.mount("f", "B");
        assertEquals(mp, again);
        assertEquals(1, mountsAt("f"), "the dead mount was detached, not stacked under");
        assertEquals("kept", Files.readString(again.resolve("kept.txt")), "no change lost");
        assertEquals("hello from base", Files.readString(again.resolve("hello.txt")));
        assertEquals(List.of("A", "B"), activeMountFiles("f"), "the dead mount's users are still counted");
        service.unmount("f", "A");
        assertTrue(mounted("f"));
        service.unmount("f", "B");
        assertIdle("f");
    }

    @Test
    void deadMountAtTheLastUnmountIsDetached() throws Exception {
        service.create("f", Map.of("base", base.toString(), "strategy", "fuse"));
        Path mp = service.mount("f", "A");
        fuse.kill(mp);
        service.unmount("f", "A");
        assertIdle("f");
    }

    @Test
    void deadMountIsDetachedByRemove() throws Exception {
        service.create("f", Map.of("base", base.toString(), "strategy", "fuse"));
        Path mp = service.mount("f", "A");
        fuse.kill(mp);
        service.remove("f");
        assertFalse(Files.exists(vol("f")));
    }
}
