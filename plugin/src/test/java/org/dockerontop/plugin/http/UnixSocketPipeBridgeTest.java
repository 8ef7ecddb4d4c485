package org.dockerontop.plugin.http;

import org.dockerontop.plugin.http.RawHttpConnection.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HTTP/1.x framing through the unix socket ↔ Undertow bridge: what dockerd and other clients may do. */
@Timeout(60)
class UnixSocketPipeBridgeTest {
    private static final String ACTIVATED = "{\"Implements\":[\"VolumeDriver\"]}";

    @TempDir
    Path dir;
    private final RecordingVolumeService volumes = new RecordingVolumeService();
    private PluginServer server;

    @BeforeEach
    void start() throws IOException {
        server = PluginServer.start(dir.resolve("plugin.sock"), volumes);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RawHttpConnection connect() throws IOException {
        return new RawHttpConnection(server.socketPath());
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws IOException {
        try (RawHttpConnection client = connect()) {
            for (int i = 0; i < 200; i++) {
                Response response = client.exchange("/VolumeDriver.Get", "{\"Name\":\"v" + i + "\"}");
                assertEquals(200, response.status());
                assertTrue(response.body().contains("\"Name\":\"v" + i + "\""), response.body());
            }
            assertFalse(client.closedByServer(100));
        }
        assertEquals(200, volumes.calls.size());
    }

    @Test
    void requestWithoutHostHeaderIsServed() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send("POST /Plugin.Activate HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
            assertEquals(ACTIVATED, client.read().body());
        }
    }

    @Test
    void connectionCloseIsHonoured() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send("POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
            Response response = client.read();
            assertEquals(ACTIVATED, response.body());
            assertEquals("close", response.header("Connection"));
            assertTrue(client.closedByServer(5000));
        }
    }

    @Test
    void http10GetsOneAnswerThenTheConnectionCloses() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send("POST /Plugin.Activate HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
            Response response = client.read();
            assertTrue(response.statusLine().startsWith("HTTP/1.0 200"), response.statusLine());
            assertEquals(ACTIVATED, response.body());
            assertTrue(client.closedByServer(5000));
        }
    }

    @Test
    void http10KeepAliveWhenAsked() throws IOException {
        try (RawHttpConnection client = connect()) {
            for (int i = 0; i < 3; i++) {
                client.send("POST /Plugin.Activate HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
                assertEquals(ACTIVATED, client.read().body());
            }
        }
    }

    @Test
    void chunkedRequestBody() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send("POST /VolumeDriver.Mount HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "9\r\n{\"Name\":\"\r\n" + "3\r\nv1\"\r\n" + "b\r\n,\"ID\":\"abc\"\r\n" + "1\r\n}\r\n" + "0\r\n\r\n");
            Response response = client.read();
            assertEquals("{\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\",\"Err\":\"\"}", response.body());
            assertEquals(200, client.exchange("/Plugin.Activate", "").status()); // and the connection lives on
        }
        assertEquals(List.of("mount v1 abc"), volumes.calls);
    }

    @Test
    void expectContinueGets100BeforeTheBody() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send("POST /VolumeDriver.Remove HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 13\r\n\r\n");
            Response interim = client.read();
            assertEquals(100, interim.status(), interim.statusLine());
            client.send("{\"Name\":\"v1\"}");
            assertEquals("{\"Err\":\"\"}", client.read().body());
        }
        assertEquals(List.of("remove v1"), volumes.calls);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send(RawHttpConnection.post("/VolumeDriver.Path", "{\"Name\":\"v1\"}")
                    + RawHttpConnection.post("/VolumeDriver.Path", "{\"Name\":\"idle\"}")
                    + RawHttpConnection.post("/Plugin.Activate", ""));
            assertEquals("{\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\",\"Err\":\"\"}", client.read().body());
            assertEquals("{\"Mountpoint\":\"\",\"Err\":\"\"}", client.read().body());
            assertEquals(ACTIVATED, client.read().body());
        }
    }

    @Test
    void requestSplitIntoSingleBytesIsAssembled() throws IOException, InterruptedException {
        try (RawHttpConnection client = connect()) {
            for (byte b : RawHttpConnection.post("/VolumeDriver.Remove", "{\"Name\":\"slow\"}").getBytes()) {
                client.send(new byte[]{b});
            }
            assertEquals("{\"Err\":\"\"}", client.read().body());
        }
        assertEquals(List.of("remove slow"), volumes.calls);
    }

    @Test
    void clientHalfCloseAfterItsRequestStillGetsTheAnswer() throws IOException {
        try (RawHttpConnection client = connect()) {
            client.send("POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
            client.channel().shutdownOutput();
            assertEquals(ACTIVATED, client.read().body());
        }
    }

    @Test
    void manyParallelConnections() throws Exception {
        int connections = 64;
        int requestsEach = 50;
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                int id = c;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    try (RawHttpConnection client = connect()) {
                        for (int i = 0; i < requestsEach; i++) {
                            String name = "c" + id + "-" + i;
                            Response response = client.exchange("/VolumeDriver.Mount", "{\"Name\":\"" + name + "\",\"ID\":\"m\"}");
                            if (response.status() == 200 && response.body().contains("/v1/mountpoint")) {
                                ok++;
                            }
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> result : results) {
                assertEquals(requestsEach, result.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(connections * requestsEach, volumes.calls.size());
        assertEquals(connections * requestsEach, volumes.calls.stream().distinct().count());
    }

    @Test
    void aSlowMountDoesNotHoldUpOtherRequests() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch mountStarted = volumes.blockNextUntil(release);
        try (RawHttpConnection slow = connect(); RawHttpConnection other = connect()) {
            slow.send(RawHttpConnection.post("/VolumeDriver.Mount", "{\"Name\":\"big\",\"ID\":\"a\"}"));
            // the block is for whichever call comes first: wait until it is the mount, not a Get
            // that overtook it on a loaded machine (which then hung the test)
            assertTrue(mountStarted.await(10, TimeUnit.SECONDS), "the mount reached the volume service");
            // the mount is in progress on a worker thread; the single I/O thread still serves everyone else
            for (int i = 0; i < 20; i++) {
                assertEquals(200, other.exchange("/VolumeDriver.Get", "{\"Name\":\"v1\"}").status());
            }
            assertFalse(volumes.calls.contains("mount big a"));
            release.countDown();
            assertEquals("{\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\",\"Err\":\"\"}", slow.read().body());
        }
        assertTrue(volumes.calls.contains("mount big a"));
    }

    @Test
    void abruptlyClosedConnectionsDoNotDisturbOthers() throws IOException {
        for (int i = 0; i < 50; i++) {
            RawHttpConnection dropped = connect();
            dropped.send("POST /VolumeDriver.Create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"Na");
            dropped.close();
        }
        try (RawHttpConnection client = connect()) {
            assertEquals(ACTIVATED, client.exchange("/Plugin.Activate", "").body());
        }
        assertEquals(List.of(), volumes.calls);
    }

    @Test
    void closingTheServerEndsOpenConnectionsAndRemovesTheSocket() throws IOException {
        try (RawHttpConnection idle = connect()) {
            assertEquals(ACTIVATED, idle.exchange("/Plugin.Activate", "").body());
            server.close();
            assertTrue(idle.closedByServer(5000));
            assertFalse(Files.exists(server.socketPath()));
        }
    }

    @RepeatedTest(50) // the answer races the close: repeat to catch it
    void closingTheServerLetsAMountInProgressAnswerFirst() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch mountStarted = volumes.blockNextUntil(release);
        try (RawHttpConnection mounting = connect(); RawHttpConnection late = connect()) {
            // served once, so it is past the accept backlog (closing the listener drops what is still queued there)
            assertEquals(ACTIVATED, late.exchange("/Plugin.Activate", "").body());
            mounting.send(RawHttpConnection.post("/VolumeDriver.Mount", "{\"Name\":\"v1\",\"ID\":\"a\"}"));
            assertTrue(mountStarted.await(10, TimeUnit.SECONDS));
            Thread closing = new Thread(server::close);
            closing.start();
            long deadline = System.currentTimeMillis() + 5000;
            while (Files.exists(server.socketPath()) && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertFalse(Files.exists(server.socketPath())); // no new connections while draining
            assertTrue(closing.isAlive());
            Response refused = late.exchange("/VolumeDriver.Get", "{\"Name\":\"v1\"}");
            assertEquals(503, refused.status());
            assertEquals("{\"Err\":\"docker-on-top is stopping; retry once it runs again\"}", refused.body());
            release.countDown();
            Response response = mounting.read();
            assertEquals("{\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\",\"Err\":\"\"}", response.body());
            closing.join(10_000);
            assertFalse(closing.isAlive());
            assertTrue(mounting.closedByServer(5000));
        } finally {
            release.countDown(); // on failure, do not leave the server draining for 20 s
        }
        assertEquals(List.of("mount v1 a"), volumes.calls);
    }

    @Test
    void garbageNeverStopsTheServer() throws IOException {
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] junk = new byte[random.nextInt(4096)];
            random.nextBytes(junk);
            try (RawHttpConnection client = connect()) {
                // half of them start like a request, so the junk lands in headers or the body
                client.send(i % 2 == 0 ? junk : concat("POST /VolumeDriver.Create HTTP/1.1\r\n".getBytes(), junk));
            }
        }
        try (RawHttpConnection client = connect()) {
            assertEquals(ACTIVATED, client.exchange("/Plugin.Activate", "").body());
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void peerThatIsNotRootGets403() throws Exception {
        // defence in depth: loosen the socket's permissions as a careless admin might, then connect as nobody
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(server.socketPath(), PosixFilePermissions.fromString("rw-rw-rw-"));
        Process curl = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "curl", "-sS", "--unix-socket", server.socketPath().toString(), "-X", "POST", "-d", "{\"Name\":\"v1\"}",
                "-w", "\\n%{http_code}", "http://plugin/VolumeDriver.Remove")
                .redirectErrorStream(true).start();
        String output = new String(curl.getInputStream().readAllBytes());
        assertEquals(0, curl.waitFor(), output);
        assertEquals("{\"Err\":\"docker-on-top only serves root (dockerd); this connection's peer is another user\"}\n403", output);
        assertEquals(List.of(), volumes.calls);
        try (RawHttpConnection root = connect()) {
            assertEquals(ACTIVATED, root.exchange("/Plugin.Activate", "").body());
        }
    }
}
