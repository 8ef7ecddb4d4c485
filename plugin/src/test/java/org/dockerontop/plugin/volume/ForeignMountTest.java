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
 * The same goes for an overlay or a FUSE overlay of other layers than the volume's: only the type was checked, so
 * those were adopted. A leftover of the volume's own mount (after a restart of the plugin) is still adopted.
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

    @Test
    void anOverlayOfOtherLayersIsRefusedAndLeftAlone() throws Exception {
        create("v", Map.of());
        Path other = otherLayers();
        assertRefusedAndLeftAlone("v", "overlay", "-t", "overlay", "someone-elses", "-o", "lowerdir="
                + other.resolve("lower") + ",upperdir=" + other.resolve("upper") + ",workdir=" + other.resolve("work"));
    }

    @Test
    void anOverlayOfTheVolumesUpperOverAnotherBaseIsRefused() throws Exception {
        create("v", Map.of());
        Path other = otherLayers();
        Files.createDirectories(vol("v").resolve("workdir"));
        assertRefusedAndLeftAlone("v", "overlay", "-t", "overlay", "docker-on-top_v", "-o", "lowerdir="
                + other.resolve("lower") + ",upperdir=" + vol("v").resolve("upper") + ",workdir="
                + vol("v").resolve("workdir"));
    }

    @Test
    void aFuseOverlayOfOtherLayersIsRefusedAndLeftAlone() throws Exception {
        create("v", Map.of());
        Path other = otherLayers();
        Path mp = Files.createDirectories(vol("v").resolve("mountpoint"));
        run("fuse-overlayfs", "-o", "lowerdir=" + other.resolve("lower") + ",upperdir=" + other.resolve("upper")
                + ",workdir=" + other.resolve("work"), mp.toString());
        assertRefusedWhileMounted("v", "fuse-overlayfs");
    }

    @Test
    void aLeftoverOfTheOriginalPluginsMountIsAdopted() throws Exception {
        create("v", Map.of());
        Path mp = Files.createDirectories(vol("v").resolve("mountpoint"));
        Files.createDirectories(vol("v").resolve("workdir"));
        // as the Go plugin mounts it: mount(2) with the layers as given
        run("mount", "-t", "overlay", "docker-on-top_v", "-o", "lowerdir=" + base + ",upperdir="
                + vol("v").resolve("upper") + ",workdir=" + vol("v").resolve("workdir"), mp.toString());

        assertEquals(mp, service.mount("v", "A"));

        assertEquals(0, overlay.mounts.get(), "adopted");
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void aLeftoverOfTheOriginalPluginsMountOfABaseGivenWithATrailingSlashIsAdopted() throws Exception {
        // a volume the Go plugin created with -o base=BASE/ and mounted, as its latest version does: metadata.json
        // keeps the base as typed, and mount(2) gets it so, with its upper and workdir spelled with a trailing slash
        Path dir = Files.createDirectories(vol("v"));
        Files.createDirectories(dir.resolve("upper"));
        Files.createDirectories(dir.resolve("activemounts"));
        Files.writeString(dir.resolve("metadata.json"), "{\"BaseDirPath\":\"" + base + "/\",\"Volatile\":false}");
        Path mp = Files.createDirectories(dir.resolve("mountpoint"));
        Files.createDirectories(dir.resolve("workdir"));
        mountAsTheOriginal("lowerdir=" + base + "/,upperdir=" + dir + "/upper/,workdir=" + dir + "/workdir/", mp);

        service = newService(); // switched from the Go plugin: start-up, then the next container's Mount

        assertEquals(mp, service.mount("v", "A"));
        assertEquals(0, overlay.mounts.get(), "adopted");
        VolumeInfo info = service.get("v");
        assertEquals(true, info.status().get("mounted"), info.status().toString());
        assertNull(info.status().get("problem"), info.status().toString());
        assertEquals(mp, service.path("v"));
        assertEquals(mp, service.list().get(0).mountpoint());
        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
        service.unmount("v", "A");
        assertIdle("v");
    }

    @Test
    void aLeftoverOfItsOwnMountOverABaseWithCommasAndColonsIsAdoptedAfterARestart() throws Exception {
        Path odd = Files.createDirectories(tmp.resolve("a,b:c d"));
        Files.writeString(odd.resolve("f.txt"), "odd");
        service.create("v", Map.of("base", odd.toString()));
        Path mp = service.mount("v", "A");

        service = newService(); // the plugin restarted; the mount stayed

        assertEquals(mp, service.mount("v", "B"));
        assertEquals(1, overlay.mounts.get(), "adopted, not refused or mounted again");
        assertEquals("odd", Files.readString(mp.resolve("f.txt")));
        service.unmount("v", "A");
        service.unmount("v", "B");
        assertIdle("v");
    }

    @Test
    void aLeftoverOfItsOwnMountWithLayersGivenAsFileDescriptorsIsAdoptedAfterARestart() throws Exception {
        String name = "n".repeat(255); // its upper's path is longer than fsconfig takes as a string
        create(name, Map.of());
        Path mp = service.mount(name, "A");

        service = newService();

        assertEquals(mp, service.mount(name, "B"));
        assertEquals(1, overlay.mounts.get(), "adopted, not refused or mounted again");
        service.unmount(name, "A");
        service.unmount(name, "B");
        assertIdle(name);
    }

    @Test
    void startUpLeavesAForeignMountAndTheCountsUnderItAlone() throws Exception {
        create("v", Map.of());
        Path mp = service.mount("v", "A");
        run("mount", "-t", "tmpfs", "someone-elses", mp.toString()); // over the volume's own mount, in use by A
        try {
            service = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy);
            service.recover(() -> true); // sees the containers: would clear counts of a mount nothing holds

            assertEquals(List.of("A"), activeMountFiles("v"), "the tmpfs says nothing about A's use");
        } finally {
            run("umount", mp.toString());
        }
        service.unmount("v", "A");
        assertIdle("v");
    }

    /** Mounts an overlay as the Go plugin does: mount(2) with the option string as it built it. */
    private static void mountAsTheOriginal(String options, Path mp) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("mount", "-t", "overlay", "docker-on-top_v", "-o", options,
                mp.toString()).redirectErrorStream(true);
        pb.environment().put("LIBMOUNT_FORCE_MOUNT2", "always"); // util-linux: mount(2), not fsconfig
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }

    private Path otherLayers() throws IOException {
        Path other = tmp.resolve("other");
        for (String d : List.of("lower", "upper", "work")) {
            Files.createDirectories(other.resolve(d));
        }
        Files.writeString(other.resolve("lower/theirs.txt"), "not the volume's");
        return other;
    }

    /** Mounts {@code mountArgs} at the volume's mountpoint, then checks that Mount refuses it and leaves it. */
    private void assertRefusedAndLeftAlone(String name, String what, String... mountArgs) throws Exception {
        Path mp = Files.createDirectories(vol(name).resolve("mountpoint"));
        List<String> argv = new java.util.ArrayList<>(List.of("mount"));
        argv.addAll(List.of(mountArgs));
        argv.add(mp.toString());
        run(argv.toArray(String[]::new));
        assertRefusedWhileMounted(name, what);
    }

    private void assertRefusedWhileMounted(String name, String what) throws Exception {
        Path mp = vol(name).resolve("mountpoint");
        try {
            VolumeException e = assertThrows(VolumeException.class, () -> service.mount(name, "A"));

            assertTrue(e.getMessage().contains(what) && e.getMessage().contains("umount " + mp), e.getMessage());
            assertEquals(List.of(), activeMountFiles(name), "not counted");
            assertEquals("not the volume's", Files.readString(mp.resolve("theirs.txt")), "left alone");
            VolumeInfo info = service.get(name);
            assertEquals(false, info.status().get("mounted"), info.status().toString());
            assertNotNull(info.status().get("problem"));
            assertNull(service.path(name));
            String rm = assertThrows(VolumeException.class, () -> service.remove(name)).getMessage();
            assertTrue(rm.contains("umount " + mp), rm);
            assertEquals("not the volume's", Files.readString(mp.resolve("theirs.txt")), "not unmounted by a Remove");
        } finally {
            run("umount", mp.toString());
        }
        assertEquals(0, overlay.mounts.get());
        Path ours = service.mount(name, "A");
        assertEquals("hello from base", Files.readString(ours.resolve("hello.txt")), "once it is gone, it mounts");
        service.unmount(name, "A");
        assertIdle(name);
    }
}
