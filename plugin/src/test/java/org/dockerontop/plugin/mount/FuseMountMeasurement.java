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
 * mount latency (launch until the mount answers; the first one also pays for cold caches), the
 * server's CPU time by then, unmount latency (umount until the server has exited, and until its
 * parent has reaped it) and the RSS and PSS of one idle server. docker-on-top-fuse is measured both
 * as started now (once, with -f) and as before (a launcher JVM that re-executes the server). Reports, never asserts numbers. Run with
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

    /** The JVM options FuseCommand used before C1-only, to compare the start paths side by side. */
    private static final List<String> PREVIOUS_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx96m",
            "-Xss512k", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m", "-Xshare:auto", "-XX:-UsePerfData");

    @Test
    void measure() throws Exception {
        List<String> labels = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        labels.add("fuse-overlayfs");
        commands.add(List.of(TestMounts.FUSE_OVERLAYFS.toString()));
        if (Files.isRegularFile(TestMounts.ourFuseJar())) {
            // the previous start path: a launcher JVM (no -f) that re-executes the server JVM and waits for it;
            // a wrapper of another name is run that way (FuseCommand#isDockerOnTopFuse)
            Path wrapper = dir.resolve("launcher-mode");
            Files.writeString(wrapper, "#!/bin/sh\nexec " + String.join(" ", java()) + " "
                    + String.join(" ", PREVIOUS_JVM_OPTIONS) + " -jar " + TestMounts.ourFuseJar() + " \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            labels.add("docker-on-top-fuse before (launcher re-executes the server; C2)");
            commands.add(List.of(wrapper.toString()));
            labels.add("docker-on-top-fuse now (started once with -f; C1 only)");
            commands.add(TestMounts.fuseCommand());
        }
        for (int i = 0; i < commands.size(); i++) {
            measure(labels.get(i), commands.get(i));
        }
        measureKernel();
    }

    private static List<String> java() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString());
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

    private void measure(String label, List<String> command) throws Exception {
        FuseProcessStrategy fuse = new FuseProcessStrategy(command);
        long[] mountMs = new long[ROUNDS];
        long[] unmountMs = new long[ROUNDS];
        long[] reapedMs = new long[ROUNDS];
        long[] cpuMs = new long[ROUNDS];
        long rssKb = 0;
        long pssKb = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Layers layers = TestMounts.layers(dir.resolve(label.replaceAll("[^a-z0-9]+", "-") + "-" + i));
            long t0 = System.nanoTime();
            fuse.mount(layers);
            mountMs[i] = (System.nanoTime() - t0) / 1_000_000;
            ProcessHandle server = FuseProcesses.serving(layers.mountpoint()).get(0);
            cpuMs[i] = cpuMs(server.pid());
            assertEquals("from the base\n", Files.readString(layers.mountpoint().resolve("base.txt")));
            if (i == 0) {
                Thread.sleep(2000); // let the JIT and GC settle: "idle" RSS
                rssKb = statusKb(server.pid(), "VmRSS:");
                pssKb = rollupKb(server.pid(), "Pss:");
            }
            long t1 = System.nanoTime();
            fuse.unmount(layers.mountpoint());
            unmountMs[i] = (System.nanoTime() - t1) / 1_000_000;
            // what a wait on ProcessHandle.isAlive() would take: until the server's parent has reaped it
            while (server.isAlive() && System.nanoTime() - t1 < 10_000_000_000L) {
                Thread.sleep(5);
            }
            reapedMs[i] = (System.nanoTime() - t1) / 1_000_000;
        }
        System.out.printf("MEASURE %s [%s]: mount ms first=%d then=%s; server CPU ms at mount=%s;"
                        + " unmount ms (until the server exited)=%s; until reaped=%s; idle server RSS=%d KiB, PSS=%d KiB%n",
                label, String.join(" ", command), mountMs[0],
                java.util.Arrays.toString(java.util.Arrays.copyOfRange(mountMs, 1, ROUNDS)), java.util.Arrays.toString(cpuMs),
                java.util.Arrays.toString(unmountMs), java.util.Arrays.toString(reapedMs), rssKb, pssKb);
    }

    /** utime + stime of a process so far (clock ticks of 10 ms). */
    private static long cpuMs(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    private static long rollupKb(long pid, String key) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long statusKb(long pid, String key) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
