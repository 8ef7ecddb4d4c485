package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountTable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Measures (does not assert) the service's Mount/Unmount latency with the kernel overlay strategy:
 * a first Mount (mkdir, overlay mount, count) against a repeated Mount (count only).
 * Run: java -cp TEST_CLASSPATH org.dockerontop.plugin.volume.MountLatency [iterations [overlay|fuse|auto]]
 * (fuse runs the command of $DOCKER_ON_TOP_FUSE_COMMAND, as the daemon does).
 */
public final class MountLatency {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        String strategy = args.length > 1 ? args[1] : "overlay";
        int warmUp = Math.min(50, n / 4 + 1);
        Path tmp = Files.createTempDirectory("dot-latency");
        Path base = Files.createDirectories(tmp.resolve("base"));
        Files.writeString(base.resolve("f"), "x");
        VolumeService s = VolumeServiceFactory.open(tmp.resolve("state"), strategy);
        s.create("v", Map.of("base", base.toString()));
        try {
            for (int i = 0; i < warmUp; i++) { // warm-up (JIT, native bindings)
                s.mount("v", "w");
                s.mount("v", "x");
                s.unmount("v", "x");
                s.unmount("v", "w");
            }
            long[] first = new long[n];
            long[] repeated = new long[n];
            long[] unmountCounted = new long[n];
            long[] lastUnmount = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                s.mount("v", "a");
                long t1 = System.nanoTime();
                s.mount("v", "b");
                long t2 = System.nanoTime();
                s.unmount("v", "b");
                long t3 = System.nanoTime();
                s.unmount("v", "a");
                long t4 = System.nanoTime();
                first[i] = t1 - t0;
                repeated[i] = t2 - t1;
                unmountCounted[i] = t3 - t2;
                lastUnmount[i] = t4 - t3;
            }
            System.out.printf("strategy: %s, mountinfo lines: %d, iterations: %d%n", strategy,
                    MountTable.read().entries().size(), n);
            print("first Mount (mounts)", first);
            print("repeated Mount (counts)", repeated);
            print("Unmount, not last", unmountCounted);
            print("last Unmount (unmounts)", lastUnmount);
        } finally {
            if (MountTable.read().isMountpoint(tmp.resolve("state/v/mountpoint"))) {
                KernelOverlayMount.detach(tmp.resolve("state/v/mountpoint"));
            }
            s.remove("v");
            org.dockerontop.overlay.format.Trees.delete(tmp);
        }
    }

    private static void print(String what, long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        System.out.printf("%-26s median %6.2f ms  p90 %6.2f ms  max %6.2f ms%n", what, s[s.length / 2] / 1e6,
                s[(int) (s.length * 0.9)] / 1e6, s[s.length - 1] / 1e6);
    }
}
