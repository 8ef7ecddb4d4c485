package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A plugin process doing Mount/Unmount in a loop is killed with SIGKILL at random instants. After each kill
 * the state must never be "counted as in use but not mounted", no change reported as written may be lost,
 * and after start-up recovery the volume must be usable and end idle.
 */
class CrashSafetyTest extends VolumeTestSupport {

    @Test
    void killedAtRandomInstantsNeverLeavesCountedButNotMounted() throws Exception {
        killRepeatedly("v", false, 6);
    }

    @Test
    void volatileVolumeKilledAtRandomInstantsStaysUsable() throws Exception {
        killRepeatedly("tmpvol", true, 4);
    }

    private void killRepeatedly(String v, boolean isVolatile, int rounds) throws Exception {
        create(v, Map.of("volatile", Boolean.toString(isVolatile)));
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        List<String> markers = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            Path log = tmp.resolve("child-" + round + ".out");
            Files.writeString(log, "");
            Process child = new ProcessBuilder(java, "-cp", cp, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    CrashLoopChild.class.getName(), root.toString(), Integer.toString(round), v)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // wait for its first marker (JVM and native library start-up), then kill it at a random instant
            while (Files.readAllLines(log).size() < 2 && System.nanoTime() < deadline && child.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(child.isAlive(), "the child runs");
            Thread.sleep(ThreadLocalRandom.current().nextInt(0, 300));
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            List<String> lines = Files.readAllLines(log);
            markers.addAll(lines.subList(1, lines.size()).stream().filter(l -> !l.isEmpty()).toList());

            boolean counted = !activeMountFiles(v).isEmpty();
            System.out.printf("crash round %d: killed after %d markers; counted %s, mounted %s%n", round,
                    lines.size() - 1, activeMountFiles(v), mounted(v));
            assertTrue(!counted || mounted(v), "round " + round + ": counted " + activeMountFiles(v)
                    + " but not mounted");
            if (!isVolatile) {
                for (String m : markers) {
                    assertTrue(Files.exists(vol(v).resolve("upper").resolve(m)), "change " + m + " lost");
                }
            } else {
                try (var s = Files.list(vol(v))) { // the upper, or (killed mid-discard) its discarded copy
                    assertTrue(s.anyMatch(p -> p.getFileName().toString().contains("upper")), "upper lost");
                }
            }

            service = newService(); // start-up recovery after the crash
            // dockerd re-sends Mount for IDs it still uses; simulate all IDs ending their use
            for (Map.Entry<String, Integer> e : new VolumeStore(root).activeMounts(v).entrySet()) {
                for (int i = 0; i < e.getValue(); i++) {
                    service.unmount(v, e.getKey());
                }
            }
            // a mount that no count covers (killed between mount and count) is adopted and released
            Path mp = service.mount(v, "check");
            assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
            service.unmount(v, "check");
            assertIdle(v);
            assertFalse(MountTable.read().isMountpoint(vol(v).resolve("mountpoint")));
        }
        assertFalse(markers.isEmpty(), "the child made progress");
        assertBaseUntouched();
    }
}
