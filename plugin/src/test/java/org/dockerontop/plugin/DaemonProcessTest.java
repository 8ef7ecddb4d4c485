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
 * start-up, SIGTERM, kill -9 and a second daemon on the same socket or the same state directory.
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
        return daemon(socket, dir.resolve("state"), log);
    }

    private Process daemon(Path socket, Path root, Path log) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                FakeVolumesDaemon.class.getName(), "--socket", socket.toString(), "--root", root.toString())
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
        Process third = daemon(socket, dir.resolve("other-state"), log3); // its own root: refused for the socket
        assertTrue(third.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, third.exitValue());
        assertTrue(read(log3).contains("ERROR Main - cannot serve on " + socket + ": another daemon is already serving "
                + socket), read(log3));
        awaitAnswer(socket, second, log2); // the running daemon is untouched

        second.destroy();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(socket));
    }

    @Test
    void aSecondDaemonOnTheSameStateDirectoryIsRefusedUntilTheFirstIsKilled() throws Exception {
        Path state = dir.resolve("state");
        Path socket1 = dir.resolve("one.sock");
        Path log1 = dir.resolve("first.log");
        Process first = daemon(socket1, log1);
        awaitAnswer(socket1, first, log1);

        // another socket: only the state directory is shared
        Path socket2 = dir.resolve("two.sock");
        Path log2 = dir.resolve("second.log");
        Process second = daemon(socket2, log2);
        assertTrue(second.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, second.exitValue());
        assertTrue(read(log2).contains("ERROR Main - another docker-on-top daemon (pid " + first.pid()
                + ") is already using the state directory " + state + ": stop it first"), read(log2));
        assertFalse(Files.exists(socket2));
        // the same socket too: refused for the state directory before the socket is even looked at
        Path log3 = dir.resolve("third.log");
        Process third = daemon(socket1, log3);
        assertTrue(third.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, third.exitValue());
        assertTrue(read(log3).contains("is already using the state directory " + state), read(log3));
        assertFalse(read(log3).contains("serving"), read(log3));
        awaitAnswer(socket1, first, log1); // the running daemon is untouched
        assertEquals(List.of(), entries(state), "the lock adds nothing to the state directory");

        first.destroyForcibly(); // kill -9: the lock goes with the process, nothing is left to clean up
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        Path log4 = dir.resolve("fourth.log");
        Process fourth = daemon(socket1, log4);
        awaitAnswer(socket1, fourth, log4);
        fourth.destroy();
        assertTrue(fourth.waitFor(30, TimeUnit.SECONDS));
        assertEquals(143, fourth.exitValue());
    }

    @Test
    void ofTwoDaemonsStartedTogetherOnOneStateDirectoryOneServesAndTheOtherExits() throws Exception {
        Path socketA = dir.resolve("a.sock");
        Path socketB = dir.resolve("b.sock");
        Process a = daemon(socketA, dir.resolve("a.log"));
        Process b = daemon(socketB, dir.resolve("b.log"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (a.isAlive() && b.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Process refused = a.isAlive() ? b : a;
        Process serving = a.isAlive() ? a : b;
        assertTrue(refused.waitFor(30, TimeUnit.SECONDS), "neither daemon was refused");
        assertEquals(1, refused.exitValue());
        Path servingSocket = serving == a ? socketA : socketB;
        Path servingLog = dir.resolve(serving == a ? "a.log" : "b.log");
        awaitAnswer(servingSocket, serving, servingLog);
        assertFalse(Files.exists(serving == a ? socketB : socketA));
        assertTrue(read(dir.resolve(serving == a ? "b.log" : "a.log")).contains("(pid " + serving.pid() + ")"));
    }

    private static List<String> entries(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
