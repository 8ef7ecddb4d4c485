package org.dockerontop.plugin;

import org.dockerontop.plugin.cli.DaemonOptions;
import org.dockerontop.plugin.http.PluginServer;
import org.dockerontop.plugin.http.RawHttpConnection;
import org.dockerontop.plugin.http.RecordingVolumeService;
import org.dockerontop.plugin.volume.StateRootLock;
import org.dockerontop.plugin.volume.VolumeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's entry point run in-process: command line, start-up, refusal to start. */
class MainTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                (root, strategy) -> {
                    throw new AssertionError("must not open volumes");
                });
    }

    @Test
    void badFlagPrintsTheProblemAndUsageAndExits2() {
        assertEquals(2, run("--strategy", "kernel"));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("docker-on-top: invalid --strategy kernel: use one of auto, overlay, fuse\n\nUsage: docker-on-top"), text);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpGoesToStdout() {
        assertEquals(0, run("--help"));
        assertEquals(DaemonOptions.USAGE, out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionWhenNotRunFromTheJar() {
        assertEquals(0, run("--version"));
        assertEquals("docker-on-top development\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void startOpensTheVolumesThenServesThem() throws Exception {
        Path socket = dir.resolve("run/dot.sock");
        List<String> opened = new ArrayList<>();
        DaemonOptions options = DaemonOptions.parse("--socket", socket.toString(), "--root", dir.resolve("state").toString(),
                "--strategy", "overlay");
        try (Main.Daemon daemon = Main.start(options, (root, strategy) -> {
            opened.add(root + " " + strategy);
            return new RecordingVolumeService();
        })) {
            assertEquals(List.of(dir.resolve("state") + " overlay"), opened);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            try (RawHttpConnection client = new RawHttpConnection(socket)) {
                assertEquals("{\"Implements\":[\"VolumeDriver\"]}", client.exchange("/Plugin.Activate", "").body());
            }
        }
        assertFalse(Files.exists(socket));
    }

    @Test
    void volumesThatCannotBeOpenedStopTheStartBeforeTheSocketExists() {
        Path socket = dir.resolve("dot.sock");
        int status = Main.run(new String[]{"--socket", socket.toString(), "--root", dir.toString()},
                new PrintStream(out), new PrintStream(err),
                (root, strategy) -> {
                    throw new VolumeException("cannot read " + root);
                });
        assertEquals(1, status);
        assertFalse(Files.exists(socket));
    }

    @Test
    void refusesToStartWhileAnotherDaemonServesTheSocket() throws IOException {
        Path socket = dir.resolve("dot.sock");
        RecordingVolumeService running = new RecordingVolumeService();
        try (PluginServer other = PluginServer.start(socket, running)) {
            int status = Main.run(new String[]{"--socket", socket.toString(), "--root", dir.toString()},
                    new PrintStream(out), new PrintStream(err), (root, strategy) -> new RecordingVolumeService());
            assertEquals(1, status);
            try (RawHttpConnection client = new RawHttpConnection(socket)) {
                assertEquals(200, client.exchange("/VolumeDriver.Remove", "{\"Name\":\"still-mine\"}").status());
            }
            assertEquals(List.of("remove still-mine"), running.calls);
        }
    }

    @Test
    void aStateDirectoryAnotherDaemonHoldsStopsTheStartBeforeRecoveryAndTheSocket() throws Exception {
        Path socket = dir.resolve("dot.sock");
        Path state = dir.resolve("state");
        try (StateRootLock other = StateRootLock.acquire(state)) {
            assertEquals(1, run("--socket", socket.toString(), "--root", state.toString())); // its opener throws if called
            assertFalse(Files.exists(socket));
        }
        try (Main.Daemon daemon = Main.start(DaemonOptions.parse("--socket", socket.toString(), "--root", state.toString()),
                (root, strategy) -> new RecordingVolumeService())) {
            assertEquals(socket, daemon.server().socketPath());
            assertEquals(state, daemon.rootLock().root());
        }
        StateRootLock.acquire(state).close(); // closing the daemon released it
    }
}
