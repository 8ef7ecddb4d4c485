package org.dockerontop.plugin.mount;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FuseProcessesTest {
    /**
     * A server re-adopted after a plugin restart is init's child, and some inits reap late; Unmount
     * must not wait for that. A real zombie: the child of a process that never waits for it.
     */
    @Test
    void aZombieCountsAsExited() throws Exception {
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0.2 & exec sleep 60").start();
        try {
            ProcessHandle child = awaitOnlyChild(parent);
            long start = System.nanoTime();

            assertTrue(FuseProcesses.awaitExit(List.of(child), Duration.ofSeconds(10)));

            assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 5000);
            assertFalse(FuseProcesses.isRunning(child));
            assertTrue(child.isAlive(), "not reaped: its parent never waits");
            assertTrue(FuseProcesses.isRunning(parent.toHandle()));
            assertTrue(FuseProcesses.stop(List.of(child), Duration.ofMillis(100)), "stopping a zombie is a no-op");
        } finally {
            parent.destroyForcibly();
            parent.waitFor();
        }
        assertFalse(FuseProcesses.isRunning(parent.toHandle()));
    }

    private static ProcessHandle awaitOnlyChild(Process parent) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            List<ProcessHandle> children = parent.children().toList();
            if (children.size() == 1) {
                return children.get(0);
            }
            Thread.sleep(10);
        }
        assertEquals(1, parent.children().count(), "sh started one background child");
        throw new AssertionError("unreachable");
    }
}
