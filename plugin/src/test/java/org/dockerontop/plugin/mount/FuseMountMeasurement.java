package org.dockerontop.plugin.mount;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Measures, for each available FUSE command, what a FUSE volume costs through FuseProcessStrategy:
 * mount latency (launch until the mount answers), unmount latency (umount until the server has
 * exited) and the RSS of one idle server. Reports, never asserts numbers. Run with
 * {@code mvn -q -pl plugin -am test -Dtest=FuseMountMeasurement -Ddockerontop.measure=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "dockerontop.measure", matches = "true")
class FuseMountMeasurement {
    private static final int ROUNDS = 5;

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws InterruptedException {
        TestMounts.unmountAllUnder(dir);
    }

    @Test
    void measure() throws Exception {
        List<List<String>> commands = new ArrayList<>();
        commands.add(List.of(TestMounts.FUSE_OVERLAYFS.toString()));
        if (Files.isRegularFile(TestMounts.ourFuseJar())) {
            commands.add(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    TestMounts.ourFuseJar().toString()));
        }
        for (List<String> command : commands) {
            measure(command);
        }
    }

    private void measure(List<String> command) throws Exception {
        FuseProcessStrategy fuse = new FuseProcessStrategy(command);
        long[] mountMs = new long[ROUNDS];
        long[] unmountMs = new long[ROUNDS];
        long rssKb = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Layers layers = TestMounts.layers(dir.resolve(Path.of(command.get(command.size() - 1)).getFileName() + "-" + i));
            long t0 = System.nanoTime();
            fuse.mount(layers);
            mountMs[i] = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("from the base\n", Files.readString(layers.mountpoint().resolve("base.txt")));
            if (i == 0) {
                Thread.sleep(2000); // let the JIT and GC settle: "idle" RSS
                ProcessHandle server = FuseProcesses.serving(layers.mountpoint()).get(0);
                rssKb = rssKb(server.pid());
            }
            long t1 = System.nanoTime();
            fuse.unmount(layers.mountpoint());
            unmountMs[i] = (System.nanoTime() - t1) / 1_000_000;
        }
        System.out.printf("MEASURE %s: mount ms first=%d then=%s; unmount ms (until the server exited)=%s; idle server RSS=%d KiB%n",
                String.join(" ", command), mountMs[0], java.util.Arrays.toString(java.util.Arrays.copyOfRange(mountMs, 1, ROUNDS)),
                java.util.Arrays.toString(unmountMs), rssKb);
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
