package org.dockerontop.plugin.volume;

import org.dockerontop.plugin.mount.Layers;
import org.dockerontop.plugin.mount.MountStrategy;
import org.dockerontop.plugin.mount.TestMounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A volume whose base lies on a FUSE file system whose server is stopped (SIGSTOP; as a hung sshfs or a lost network
 * server would be). Its kernel overlay still answers statfs (from its upper), so it passes the probe, but a listing
 * of its root hangs in the base's server: the Mount of the next container, which lists it to tell a base removed
 * while mounted, hung with it (and dockerd, which waits for the Mount, with it). A Mount must answer in bounded time,
 * saying what hangs; so must docker volume inspect, which looks at the base.
 */
class HungBaseTest extends VolumeTestSupport {
    private final FuseOverlayfsStrategy fuse = new FuseOverlayfsStrategy();
    private Path onFuse;
    private Process baseServer;

    @Override
    MountStrategy strategy(String name) throws VolumeException {
        return name.equals("fuse") ? fuse : super.strategy(name);
    }

    @BeforeEach
    void baseOnFuse() throws Exception {
        onFuse = Files.createDirectories(tmp.resolve("on-fuse"));
        Path upper = Files.createDirectories(tmp.resolve("base-upper"));
        Path work = Files.createDirectories(tmp.resolve("base-work"));
        fuse.mount(new Layers(base, upper, work, onFuse));
        baseServer = fuse.servers.get(onFuse);
    }

    /** Whatever happened, the base's server runs again, so nothing stays blocked on it, and it is stopped. */
    @AfterEach
    void thawAndStopBaseServer() throws Exception {
        if (baseServer.isAlive()) {
            run("kill", "-CONT", Long.toString(baseServer.pid()));
        }
        fuse.stopAll();
    }

    @Test
    void theNextMountIsRefusedInTimeSayingWhatHangs() throws Exception {
        service.create("v", Map.of("base", onFuse.toString()));
        Path mp = service.mount("v", "A");
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        TestMounts.freeze(baseServer.toHandle());

        long start = System.nanoTime();
        VolumeException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(VolumeException.class, () -> service.mount("v", "B")));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(e.getMessage().contains("does not answer") && e.getMessage().contains("ls " + onFuse),
                e.getMessage());
        assertTrue(tookMillis < 15_000, "answered after " + tookMillis + " ms");
        assertEquals(List.of("A"), activeMountFiles("v"), "B is not counted");
        assertTrue(mounted("v"), "A's mount is left as it is");
        VolumeInfo info = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> service.get("v"));
        String problem = (String) info.status().get("problem");
        assertTrue(problem != null && problem.contains("does not answer") && problem.contains("ls " + onFuse),
                info.status().toString());

        run("kill", "-CONT", Long.toString(baseServer.pid()));
        assertNull(service.get("v").status().get("problem"), "it answers again");
        assertEquals(mp, service.mount("v", "B"), "once the base answers again, the next Mount adopts the mount");
        service.unmount("v", "A");
        service.unmount("v", "B");
        assertIdle("v");
        fuse.unmount(onFuse);
    }

    @Test
    void aFirstMountOverAHungBaseIsRefusedInTime() throws Exception {
        // the kernel overlay's mount(2) statfs's its lower: it hung there (or in the stat before it)
        service.create("v", Map.of("base", onFuse.toString()));
        TestMounts.freeze(baseServer.toHandle());

        VolumeException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(VolumeException.class, () -> service.mount("v", "A")));

        assertTrue(e.getMessage().contains("base directory " + onFuse + " does not answer")
                && e.getMessage().contains("ls " + onFuse), e.getMessage());
        assertIdle("v");
        run("kill", "-CONT", Long.toString(baseServer.pid()));
        Path mp = service.mount("v", "A");
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        service.unmount("v", "A");
        assertIdle("v");
        fuse.unmount(onFuse);
    }
}
