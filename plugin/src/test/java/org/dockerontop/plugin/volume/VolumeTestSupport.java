package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A state root and a base directory in a temp dir, a service on them, and no mounts left afterwards. */
abstract class VolumeTestSupport {
    @TempDir
    Path tmp;
    Path root;
    Path base;
    FaultyStrategy overlay;
    OverlayVolumeService service;

    @BeforeEach
    void setUpRoot() throws Exception {
        root = tmp.resolve("state");
        base = Files.createDirectories(tmp.resolve("base"));
        Files.writeString(base.resolve("hello.txt"), "hello from base");
        Files.createDirectories(base.resolve("dir"));
        Files.writeString(base.resolve("dir/inner.txt"), "inner");
        overlay = new FaultyStrategy();
        service = newService();
    }

    /** A fresh service on the same root, as after a plugin restart (start-up recovery included). */
    OverlayVolumeService newService() throws VolumeException {
        OverlayVolumeService s = new OverlayVolumeService(new VolumeStore(root), "overlay", this::strategy);
        s.recover();
        return s;
    }

    org.dockerontop.plugin.mount.MountStrategy strategy(String name) throws VolumeException {
        if (name.equals("overlay")) {
            return overlay;
        }
        throw new VolumeException("no strategy " + name + " in this test");
    }

    @AfterEach
    void unmountEverything() throws Exception {
        List<MountEntry> left = MountTable.read().under(tmp);
        for (int i = left.size() - 1; i >= 0; i--) {
            KernelOverlayMount.detach(left.get(i).mountpoint());
        }
        assertTrue(left.isEmpty(), "the test left mounts behind: " + left);
    }

    void create(String name, Map<String, String> extra) throws VolumeException {
        java.util.Map<String, String> opts = new java.util.HashMap<>(extra);
        opts.putIfAbsent("base", base.toString());
        service.create(name, opts);
    }

    Path vol(String name) {
        return root.resolve(name);
    }

    boolean mounted(String name) throws IOException {
        return MountTable.read().isMountpoint(vol(name).resolve("mountpoint"));
    }

    int mountsAt(String name) throws IOException {
        Path mp = vol(name).resolve("mountpoint");
        return (int) MountTable.read().entries().stream().filter(e -> e.mountpoint().equals(mp)).count();
    }

    List<String> activeMountFiles(String name) throws IOException {
        try (var s = Files.list(vol(name).resolve("activemounts"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    String count(String name, String id) throws IOException {
        return Files.readString(vol(name).resolve("activemounts").resolve(id));
    }

    /** The state of an unused volume: not mounted, not counted, no workdir/ or mountpoint/. */
    void assertIdle(String name) throws IOException {
        assertFalse(mounted(name), "not mounted");
        assertEquals(List.of(), activeMountFiles(name), "no active mounts");
        assertFalse(Files.exists(vol(name).resolve("workdir")), "no workdir/");
        assertFalse(Files.exists(vol(name).resolve("mountpoint")), "no mountpoint/");
        assertTrue(Files.isDirectory(vol(name).resolve("upper")), "upper/ is kept");
    }

    void assertBaseUntouched() throws IOException {
        assertEquals("hello from base", Files.readString(base.resolve("hello.txt")));
        assertEquals("inner", Files.readString(base.resolve("dir/inner.txt")));
        try (var s = Files.list(base)) {
            assertEquals(2, s.count(), "nothing added to the base");
        }
    }

    /** Runs a command (mount --bind, umount...) that must succeed. */
    static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
    }
}
