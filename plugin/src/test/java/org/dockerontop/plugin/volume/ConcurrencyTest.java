package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.*;

/** dockerd sends Mount and Unmount of one volume concurrently; the counts and the mount must stay consistent. */
class ConcurrencyTest extends VolumeTestSupport {

    @Test
    void parallelMountsAndUnmountsOfOneVolumeWithManyIds() throws Exception {
        create("v", Map.of());
        create("w", Map.of());
        int threads = 8;
        int rounds = 40;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        // two services on one root, like two daemons: only the flock on activemounts/ serialises them
        OverlayVolumeService other = newService();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                OverlayVolumeService s = t % 2 == 0 ? service : other;
                String volume = t % 4 == 3 ? "w" : "v";
                String id = "id" + (t % 3); // IDs shared between threads, like docker cp
                done.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        Path mp = s.mount(volume, id);
                        // while this use is counted, the mount must be there and working
                        assertEquals("hello from base", Files.readString(mp.resolve("hello.txt")));
                        Files.writeString(mp.resolve("t" + Thread.currentThread().getId()), "r" + r);
                        if (ThreadLocalRandom.current().nextBoolean()) {
                            Thread.yield();
                        }
                        s.unmount(volume, id);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertIdle("v");
        assertIdle("w");
        assertEquals(overlay.mounts.get(), overlay.unmounts.get(), "every mount was unmounted exactly once");
        try (var s = Files.list(vol("v").resolve("upper"))) {
            assertTrue(s.count() >= 1, "the writes landed in the upper");
        }
        assertBaseUntouched();
    }

    @Test
    void concurrentCreatesOfOneNameHaveExactlyOneWinner() throws Exception {
        OverlayVolumeService other = newService();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                OverlayVolumeService s = t % 2 == 0 ? service : other;
                results.add(pool.submit(() -> {
                    try {
                        s.create("same", Map.of("base", base.toString()));
                        return "created";
                    } catch (VolumeException e) {
                        return e.getMessage();
                    }
                }));
            }
            int created = 0;
            for (Future<String> f : results) {
                String r = f.get();
                if (r.equals("created")) {
                    created++;
                } else {
                    assertTrue(r.contains("already exists"), r);
                }
            }
            assertEquals(1, created);
        } finally {
            pool.shutdownNow();
        }
        try (var s = Files.list(root)) {
            assertEquals(List.of(vol("same")), s.toList(), "no temporary directories left");
        }
        assertIdle("same");
    }
}
