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
            commands.add(TestMounts.fuseCommand());
        }
        for (List<String> command : commands) {
            measure(command);
        }
        measureKernel();
    }

    /** For comparison: the kernel overlay, and what a refused kernel attempt costs auto before it falls back. */
    private void measureKernel() throws Exception {
        KernelOverlayStrategy kernel = new KernelOverlayStrategy();
        long[] mountMs = new long[ROUNDS];
        long[] unmountMs = new long[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            Layers layers = TestMounts.layers(dir.resolve("kernel-" + i));
            long t0 = System.nanoTime();
            kernel.mount(layers);
            mountMs[i] = (System.nanoTime() - t0) / 1_000_000;
            long t1 = System.nanoTime();
            kernel.unmount(layers.mountpoint());
            unmountMs[i] = (System.nanoTime() - t1) / 1_000_000;
        }
        Layers outer = TestMounts.layers(dir.resolve("outer"));
        kernel.mount(outer);
        Layers nested = new Layers(outer.lower(), outer.mountpoint().resolve("upper"), outer.mountpoint().resolve("work"),
                Files.createDirectories(dir.resolve("nested-mp")));
        Files.createDirectories(nested.upper());
        Files.createDirectories(nested.work());
        long[] refusalUs = new long[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            long t0 = System.nanoTime();
            try {
                kernel.mount(nested);
                throw new AssertionError("the kernel accepted an overlayfs upper");
            } catch (StrategyUnavailableException expected) {
                refusalUs[i] = (System.nanoTime() - t0) / 1_000;
            }
        }
        kernel.unmount(outer.mountpoint());
        System.out.printf("MEASURE kernel overlay: mount ms=%s; unmount ms=%s; refused attempt (upper on overlayfs) us=%s%n",
                java.util.Arrays.toString(mountMs), java.util.Arrays.toString(unmountMs), java.util.Arrays.toString(refusalUs));
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
