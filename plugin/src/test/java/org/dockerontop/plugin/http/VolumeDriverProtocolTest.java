package org.dockerontop.plugin.http;

import org.dockerontop.plugin.http.RawHttpConnection.Response;
import org.dockerontop.plugin.volume.VolumeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The nine endpoints and their error mapping, over a real unix socket. */
class VolumeDriverProtocolTest {
    private static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

    @TempDir
    Path dir;
    private final RecordingVolumeService volumes = new RecordingVolumeService();
    private PluginServer server;
    private RawHttpConnection client;

    @BeforeEach
    void start() throws IOException {
        server = PluginServer.start(dir.resolve("plugin.sock"), volumes);
        client = new RawHttpConnection(server.socketPath());
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        server.close();
    }

    private Response post(String path, String body) throws IOException {
        return client.exchange(path, body);
    }

    private static void assertAnswer(Response response, int status, String body) {
        assertEquals(body, response.body());
        assertEquals(status, response.status(), response.statusLine());
        assertEquals(CONTENT_TYPE, response.header("Content-Type"));
    }

    /** After any refused or failed request the daemon still serves, on the same connection. */
    private void assertStillServing() throws IOException {
        assertAnswer(post("/Plugin.Activate", ""), 200, "{\"Implements\":[\"VolumeDriver\"]}");
        try (RawHttpConnection fresh = new RawHttpConnection(server.socketPath())) {
            assertEquals(200, fresh.exchange("/VolumeDriver.Capabilities", "{}").status());
        }
    }

    @Test
    void activateAndCapabilities() throws IOException {
        assertAnswer(post("/Plugin.Activate", ""), 200, "{\"Implements\":[\"VolumeDriver\"]}");
        assertAnswer(post("/VolumeDriver.Capabilities", "{}"), 200, "{\"Capabilities\":{\"Scope\":\"local\"}}");
        assertEquals(List.of(), volumes.calls);
    }

    @Test
    void createPassesNameAndOptions() throws IOException {
        assertAnswer(post("/VolumeDriver.Create", "{\"Name\":\"v1\",\"Opts\":{\"base\":\"/srv/data\",\"volatile\":\"true\"}}"),
                200, "{\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.Create", "{\"Name\":\"v2\",\"Opts\":null}"), 200, "{\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.Create", "{\"Name\":\"v3\"}"), 200, "{\"Err\":\"\"}");
        assertEquals(List.of("create v1 {base=/srv/data, volatile=true}", "create v2 {}", "create v3 {}"), volumes.calls);
    }

    @Test
    void mountUnmountRemove() throws IOException {
        assertAnswer(post("/VolumeDriver.Mount", "{\"Name\":\"v1\",\"ID\":\"c0ffee\"}"), 200,
                "{\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\",\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.Unmount", "{\"Name\":\"v1\",\"ID\":\"c0ffee\"}"), 200, "{\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.Remove", "{\"Name\":\"v1\"}"), 200, "{\"Err\":\"\"}");
        assertEquals(List.of("mount v1 c0ffee", "unmount v1 c0ffee", "remove v1"), volumes.calls);
    }

    @Test
    void pathOfMountedAndUnmountedVolume() throws IOException {
        assertAnswer(post("/VolumeDriver.Path", "{\"Name\":\"v1\"}"), 200,
                "{\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\",\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.Path", "{\"Name\":\"idle\"}"), 200, "{\"Mountpoint\":\"\",\"Err\":\"\"}");
    }

    @Test
    void getReportsCreatedAtInRfc3339AndStatus() throws IOException {
        assertAnswer(post("/VolumeDriver.Get", "{\"Name\":\"v1\"}"), 200,
                "{\"Volume\":{\"Name\":\"v1\",\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\","
                        + "\"CreatedAt\":\"2026-11-28T04:05:06.789Z\",\"Status\":{\"base\":\"/srv/data\","
                        + "\"volatile\":false,\"mounted\":true,\"activeMounts\":2,\"strategy\":\"overlay\"}},\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.Get", "{\"Name\":\"idle\"}"), 200,
                "{\"Volume\":{\"Name\":\"idle\",\"Mountpoint\":\"\",\"CreatedAt\":\"2026-11-28T04:05:06.789Z\","
                        + "\"Status\":{\"base\":\"/srv/data\",\"volatile\":false,\"mounted\":true,\"activeMounts\":2,"
                        + "\"strategy\":\"overlay\"}},\"Err\":\"\"}");
    }

    @Test
    void listReportsNamesAndMountpoints() throws IOException {
        assertAnswer(post("/VolumeDriver.List", "{}"), 200,
                "{\"Volumes\":[{\"Name\":\"v1\",\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\"},"
                        + "{\"Name\":\"v2\",\"Mountpoint\":\"\"}],\"Err\":\"\"}");
        assertAnswer(post("/VolumeDriver.List", ""), 200,
                "{\"Volumes\":[{\"Name\":\"v1\",\"Mountpoint\":\"/var/lib/docker-on-top/v1/mountpoint\"},"
                        + "{\"Name\":\"v2\",\"Mountpoint\":\"\"}],\"Err\":\"\"}");
    }

    @Test
    void volumeExceptionBecomesErrWith500() throws IOException {
        volumes.failNextWith(new VolumeException("base directory /srv/missing does not exist: create it first"));
        assertAnswer(post("/VolumeDriver.Create", "{\"Name\":\"v1\",\"Opts\":{\"base\":\"/srv/missing\"}}"), 500,
                "{\"Err\":\"base directory /srv/missing does not exist: create it first\"}");
        volumes.failNextWith(new VolumeException("volume nope does not exist"));
        assertAnswer(post("/VolumeDriver.Get", "{\"Name\":\"nope\"}"), 500, "{\"Err\":\"volume nope does not exist\"}");
        volumes.failNextWith(new VolumeException("mounting failed", new IOException("EBUSY")));
        assertAnswer(post("/VolumeDriver.Mount", "{\"Name\":\"v1\",\"ID\":\"x\"}"), 500, "{\"Err\":\"mounting failed\"}");
        volumes.failNextWith(new VolumeException("cannot list"));
        assertAnswer(post("/VolumeDriver.List", "{}"), 500, "{\"Err\":\"cannot list\"}");
        assertStillServing();
    }

    @Test
    void unexpectedExceptionBecomesGeneric500AndTheDaemonKeepsServing() throws IOException {
        volumes.failNextWith(new IllegalStateException("bug"));
        assertAnswer(post("/VolumeDriver.Unmount", "{\"Name\":\"v1\",\"ID\":\"x\"}"), 500,
                "{\"Err\":\"docker-on-top: internal error while handling Unmount (IllegalStateException); see the daemon's log\"}");
        volumes.failNextWith(new AssertionError("broken invariant"));
        assertAnswer(post("/VolumeDriver.Remove", "{\"Name\":\"v1\"}"), 500,
                "{\"Err\":\"docker-on-top: internal error while handling Remove (AssertionError); see the daemon's log\"}");
        assertStillServing();
    }

    @Test
    void answerJsonCannotEncodeIsAnInternalError() throws IOException {
        volumes.extraStatusValue = new Object(); // no properties: Jackson refuses it
        assertAnswer(post("/VolumeDriver.Get", "{\"Name\":\"v1\"}"), 500,
                "{\"Err\":\"docker-on-top: internal error while handling Get (InvalidDefinitionException); see the daemon's log\"}");
        volumes.extraStatusValue = null;
        assertStillServing();
    }

    @Test
    void malformedJsonIsRefused() throws IOException {
        Response response = post("/VolumeDriver.Create", "{\"Name\": \"v1\", ");
        assertEquals(400, response.status());
        assertTrue(response.body().startsWith("{\"Err\":\"malformed JSON in the Create request: "), response.body());
        assertEquals(400, post("/VolumeDriver.Mount", "[1,2]").status());
        assertEquals(400, post("/VolumeDriver.Get", "{\"Name\": {\"nested\": 1}}").status());
        assertAnswer(post("/VolumeDriver.Remove", "null"), 400,
                "{\"Err\":\"the Remove request has no body: a JSON object is expected\"}");
        assertAnswer(post("/VolumeDriver.Create", ""), 400,
                "{\"Err\":\"the Create request has no body: a JSON object is expected\"}");
        assertEquals(List.of(), volumes.calls);
        assertStillServing();
    }

    @Test
    void aFieldOfTheWrongTypeIsNamedWithoutTheDaemonsClassNames() throws IOException {
        assertAnswer(post("/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"base\": [\"/srv\"]}}"), 400,
                "{\"Err\":\"the Create request has a value of the wrong type at Opts.base: expected a string\"}");
        assertAnswer(post("/VolumeDriver.Mount", "[1,2]"), 400,
                "{\"Err\":\"the Mount request has a value of the wrong type: expected a JSON object\"}");
        assertAnswer(post("/VolumeDriver.Get", "{\"Name\": {\"nested\": 1}}"), 400,
                "{\"Err\":\"the Get request has a value of the wrong type at Name: expected a string\"}");
        assertAnswer(post("/VolumeDriver.Remove", " \n"), 400,
                "{\"Err\":\"the Remove request has no body: a JSON object is expected\"}");
        assertAnswer(post("/VolumeDriver.Create", "\"v1\""), 400,
                "{\"Err\":\"the Create request has a value of the wrong type: expected a JSON object\"}");
        assertEquals(List.of(), volumes.calls);
        assertStillServing();
    }

    @Test
    void missingNameOrIdIsRefused() throws IOException {
        assertAnswer(post("/VolumeDriver.Create", "{\"Opts\":{\"base\":\"/srv\"}}"), 400, "{\"Err\":\"the request has no volume Name\"}");
        assertAnswer(post("/VolumeDriver.Get", "{\"Name\":\"\"}"), 400, "{\"Err\":\"the request has no volume Name\"}");
        assertAnswer(post("/VolumeDriver.Mount", "{\"Name\":\"v1\"}"), 400, "{\"Err\":\"the request has no mount ID\"}");
        assertAnswer(post("/VolumeDriver.Unmount", "{\"ID\":\"x\"}"), 400, "{\"Err\":\"the request has no volume Name\"}");
        assertEquals(List.of(), volumes.calls);
        assertStillServing();
    }

    @Test
    void unknownFieldsAreIgnored() throws IOException {
        assertAnswer(post("/VolumeDriver.Remove", "{\"Name\":\"v1\",\"Future\":{\"x\":[1]}}"), 200, "{\"Err\":\"\"}");
        assertEquals(List.of("remove v1"), volumes.calls);
    }

    @Test
    void unknownEndpointIs404WithErr() throws IOException {
        assertAnswer(post("/VolumeDriver.Snapshot", "{}"), 404,
                "{\"Err\":\"unknown endpoint /VolumeDriver.Snapshot: docker-on-top serves the Docker volume plugin"
                        + " protocol (/Plugin.Activate, /VolumeDriver.*)\"}");
        assertEquals(404, post("/", "").status());
        assertStillServing();
    }

    @Test
    void wrongMethodIs405WithErr() throws IOException {
        client.send("GET /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\n\r\n");
        Response response = client.read();
        assertAnswer(response, 405, "{\"Err\":\"GET is not allowed on /VolumeDriver.List: use POST\"}");
        assertEquals("POST", response.header("Allow"));
        assertStillServing();
    }

    @Test
    void anyRequestContentTypeIsAccepted() throws IOException {
        for (String type : List.of("application/json", "text/plain", "application/vnd.docker.plugins.v1.2+json", "x/y")) {
            client.send("POST /VolumeDriver.Remove HTTP/1.1\r\nHost: plugin\r\nContent-Type: " + type
                    + "\r\nAccept: " + type + "\r\nContent-Length: 13\r\n\r\n{\"Name\":\"v1\"}");
            assertAnswer(client.read(), 200, "{\"Err\":\"\"}");
        }
    }

    @RepeatedTest(10)
    void hugeBodyWithContentLengthIsRefusedUnread() throws IOException {
        client.send("POST /VolumeDriver.Create HTTP/1.1\r\nHost: plugin\r\nContent-Length: 2097152\r\n\r\n");
        Thread writer = new Thread(() -> { // like a real client, it sends the body without waiting for an answer
            try {
                client.send(new byte[2097152]);
            } catch (IOException expected) {
                // the server closes before reading it all
            }
        });
        writer.start();
        Response response = client.read();
        assertAnswer(response, 413, "{\"Err\":\"request body of 2097152 bytes is larger than the 1024 KiB"
                + " a volume plugin request can need\"}");
        assertEquals("close", response.header("Connection"));
        assertTrue(client.closedByServer(5000));
        try (RawHttpConnection fresh = new RawHttpConnection(server.socketPath())) {
            assertEquals(200, fresh.exchange("/Plugin.Activate", "").status());
        }
        assertEquals(List.of(), volumes.calls);
    }

    @RepeatedTest(10) // the answer races the client's unread body: the server must linger, not reset
    void hugeChunkedBodyIsRefused() throws IOException {
        client.send("POST /VolumeDriver.Create HTTP/1.1\r\nHost: plugin\r\nTransfer-Encoding: chunked\r\n\r\n");
        byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 20; i++) { // 1.25 MiB
                    client.send(chunk);
                }
                client.send("0\r\n\r\n");
            } catch (IOException expected) {
                // the server may close before everything is sent
            }
        });
        writer.start();
        Response response = client.read();
        assertAnswer(response, 413, "{\"Err\":\"request body of more than 1048576 bytes is larger than the 1024 KiB"
                + " a volume plugin request can need\"}");
        try (RawHttpConnection fresh = new RawHttpConnection(server.socketPath())) {
            assertEquals(200, fresh.exchange("/Plugin.Activate", "").status());
        }
        assertEquals(List.of(), volumes.calls);
    }

    @Test
    void bodyJustUnderTheLimitIsRead() throws IOException {
        String padding = " ".repeat(VolumeDriverHandler.MAX_BODY_BYTES - 20);
        assertAnswer(post("/VolumeDriver.Remove", "{\"Name\":\"v1\"}" + padding), 200, "{\"Err\":\"\"}");
        assertEquals(List.of("remove v1"), volumes.calls);
    }
}
