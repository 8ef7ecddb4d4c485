package org.dockerontop.plugin;

import org.dockerontop.plugin.http.RawHttpConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon as a real process ({@link FakeVolumesDaemon}: Main with a recording volume service):
 * start-up, SIGTERM, kill -9 and a second daemon on the same socket.
 */
@Timeout(120)
class DaemonProcessTest {
    @TempDir
    Path dir;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    private Process daemon(Path socket, Path log) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                FakeVolumesDaemon.class.getName(), "--socket", socket.toString(), "--root", dir.resolve("state").toString())
                .redirectOutput(log.toFile()).redirectErrorStream(true).start();
        started.add(process);
        return process;
    }

    private static void awaitAnswer(Path socket, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            assertTrue(process.isAlive(), () -> "daemon died: " + read(log));
            if (Files.exists(socket)) {
                try (RawHttpConnection client = new RawHttpConnection(socket)) {
                    assertEquals("{\"Implements\":[\"VolumeDriver\"]}", client.exchange("/Plugin.Activate", "").body());
                    return;
                } catch (IOException notYet) {
                    // the path may still belong to a stale socket we are waiting to see replaced
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("daemon did not answer on " + socket + ": " + read(log));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void servesUntilSigtermThenRemovesItsSocket() throws Exception {
        Path socket = dir.resolve("plugins/dot.sock");
        Path log = dir.resolve("daemon.log");
        Process process = daemon(socket, log);
        awaitAnswer(socket, process, log);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(143, process.exitValue()); // 128 + SIGTERM, after the shutdown hook ran
        assertFalse(Files.exists(socket));
        String text = read(log);
        assertTrue(text.matches("(?s)\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO Main - docker-on-top development starting.*"), text);
        assertTrue(text.contains("INFO Main - serving volume driver docker-on-top on " + socket), text);
        assertTrue(text.contains("INFO Main - stopped"), text);
    }

    @Test
    void socketLeftByAKilledDaemonIsReplacedAndALiveOneIsNot() throws Exception {
        Path socket = dir.resolve("dot.sock");
        Path log1 = dir.resolve("first.log");
        Process first = daemon(socket, log1);
        awaitAnswer(socket, first, log1);
        first.destroyForcibly(); // kill -9: no shutdown hook, the socket file stays
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(socket));

        Path log2 = dir.resolve("second.log");
        Process second = daemon(socket, log2);
        awaitAnswer(socket, second, log2);
        assertTrue(read(log2).contains("replaced the stale socket " + socket), read(log2));

        Path log3 = dir.resolve("third.log");
        Process third = daemon(socket, log3);
        assertTrue(third.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, third.exitValue());
        assertTrue(read(log3).contains("ERROR Main - cannot serve on " + socket + ": another daemon is already serving "
                + socket), read(log3));
        awaitAnswer(socket, second, log2); // the running daemon is untouched

        second.destroy();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(socket));
    }
}
