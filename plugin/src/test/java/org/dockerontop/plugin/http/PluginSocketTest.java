package org.dockerontop.plugin.http;

import org.dockerontop.overlay.mount.Flock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Creation, replacement and removal of the socket file. */
class PluginSocketTest {
    @TempDir
    Path dir;

    private List<String> entries(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void socketIsRootOnlyAndNothingElseIsLeftBeside() throws IOException {
        Path socket = dir.resolve("plugins/docker-on-top.sock");
        try (PluginServer server = PluginServer.start(socket, new RecordingVolumeService())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals(List.of("docker-on-top.sock"), entries(socket.getParent()));
            try (RawHttpConnection client = new RawHttpConnection(socket)) {
                assertEquals(200, client.exchange("/Plugin.Activate", "").status());
            }
        }
        assertFalse(Files.exists(socket));
        assertEquals(List.of(), entries(socket.getParent()));
    }

    @Test
    void staleSocketLeftByACrashIsReplaced() throws IOException {
        Path socket = dir.resolve("plugin.sock");
        // a listener that went away without removing its file, as after kill -9
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        try (PluginServer server = PluginServer.start(socket, new RecordingVolumeService());
             RawHttpConnection client = new RawHttpConnection(socket)) {
            assertEquals(200, client.exchange("/Plugin.Activate", "").status());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        }
    }

    @Test
    void directoryLeftByAStartKilledBeforeTheRenameIsRemoved() throws IOException {
        Path socket = dir.resolve("plugin.sock");
        Path leftover = Files.createDirectory(dir.resolve(".plugin.sock.12345"));
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(leftover.resolve("s")));
        }
        Path unrelated = Files.createDirectory(dir.resolve(".other.sock.1"));
        try (PluginServer server = PluginServer.start(socket, new RecordingVolumeService())) {
            assertEquals(List.of(".other.sock.1", "plugin.sock"), entries(dir));
        }
        assertTrue(Files.isDirectory(unrelated));
    }

    @Test
    void liveSocketIsNotTakenOver() throws IOException {
        Path socket = dir.resolve("plugin.sock");
        RecordingVolumeService first = new RecordingVolumeService();
        try (PluginServer running = PluginServer.start(socket, first)) {
            Object before = Files.readAttributes(socket, "unix:ino").get("ino");
            SocketInUseException refused = assertThrows(SocketInUseException.class,
                    () -> PluginServer.start(socket, new RecordingVolumeService()));
            assertEquals("another daemon is already serving " + socket + " (is docker-on-top running already?"
                    + " stop it first, or choose another --name/--socket)", refused.getMessage());
            assertEquals(before, Files.readAttributes(socket, "unix:ino").get("ino"));
            assertEquals(List.of("plugin.sock"), entries(dir));
            try (RawHttpConnection client = new RawHttpConnection(socket)) {
                assertEquals(200, client.exchange("/VolumeDriver.Remove", "{\"Name\":\"v\"}").status());
            }
            assertEquals(List.of("remove v"), first.calls);
        }
    }

    @Test
    void somethingElseAtTheSocketPathIsLeftAlone() throws IOException {
        Path file = Files.writeString(dir.resolve("plugin.sock"), "precious");
        FileAlreadyExistsException refused = assertThrows(FileAlreadyExistsException.class,
                () -> PluginServer.start(file, new RecordingVolumeService()));
        assertTrue(refused.getMessage().contains("exists and is not a socket"), refused.getMessage());
        assertEquals("precious", Files.readString(file));
        assertEquals(List.of("plugin.sock"), entries(dir));
    }

    @Test
    void closeLeavesASocketThatReplacedOursInPlace() throws IOException {
        Path socket = dir.resolve("plugin.sock");
        PluginServer server = PluginServer.start(socket, new RecordingVolumeService());
        Files.delete(socket); // e.g. an admin removed it and another daemon started on the path
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            server.close();
            assertTrue(Files.exists(socket));
        }
    }

    /** The socket's directory may be a state directory its daemon keeps flocked: binding must not wait for it. */
    @Test
    void aSocketInALockedDirectoryIsServedAndRemoved() throws Exception {
        Path socket = dir.resolve("plugin.sock");
        try (Flock stateRoot = Flock.tryLockDirectory(dir).orElseThrow();
             PluginServer server = PluginServer.start(socket, new RecordingVolumeService())) {
            assertEquals(List.of("plugin.sock"), entries(dir));
        }
        assertEquals(List.of(), entries(dir));
    }

    /**
     * Daemons starting together on one path: exactly one gets it, the others are refused — none is left listening
     * on a socket its rename lost — whether the path starts free or holds a stale socket.
     */
    @Test
    void ofDaemonsBindingAtOnceExactlyOneServesAndTheOthersAreRefused() throws Exception {
        int daemons = 6;
        ExecutorService pool = Executors.newFixedThreadPool(daemons);
        try {
            for (int round = 0; round < 30; round++) {
                Path socket = dir.resolve("race" + round + ".sock");
                if (round % 2 == 1) {
                    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                        crashed.bind(UnixDomainSocketAddress.of(socket));
                    }
                }
                CyclicBarrier go = new CyclicBarrier(daemons);
                List<Future<PluginSocket>> binds = new ArrayList<>();
                for (int i = 0; i < daemons; i++) {
                    binds.add(pool.submit(() -> {
                        go.await();
                        return PluginSocket.bind(socket);
                    }));
                }
                List<PluginSocket> bound = new ArrayList<>();
                for (Future<PluginSocket> bind : binds) {
                    try {
                        bound.add(bind.get());
                    } catch (ExecutionException e) {
                        assertTrue(e.getCause() instanceof SocketInUseException, e.getCause().toString());
                    }
                }
                try {
                    assertEquals(1, bound.size(), "round " + round + ": sockets bound");
                    try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                         SocketChannel accepted = bound.get(0).channel().accept()) {
                        assertTrue(client.isConnected() && accepted.isConnected());
                    }
                } finally {
                    for (PluginSocket s : bound) {
                        s.close();
                    }
                }
                assertFalse(Files.exists(socket));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), entries(dir));
    }
}
