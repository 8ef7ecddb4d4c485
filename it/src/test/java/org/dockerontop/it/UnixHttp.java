package org.dockerontop.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A minimal HTTP/1.0 client over a unix socket: enough to speak the plugin protocol to the daemon
 * directly (for what dockerd hides, e.g. a duplicate Create) and to read dockerd's raw volume JSON
 * (docker-java's inspect drops the {@code Status} field). HTTP/1.0 keeps replies close-delimited.
 */
public final class UnixHttp {

    /** A reply: status code and body text. */
    public record Reply(int status, String body) {
    }

    private UnixHttp() {
    }

    public static Reply request(Path socket, String method, String path, String jsonBody) throws IOException {
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.0\r\n"
                + "Host: localhost\r\n"
                + "Accept: application/vnd.docker.plugins.v1.2+json\r\n"
                + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            writeFully(channel, ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            writeFully(channel, ByteBuffer.wrap(body));
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                received.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            return parse(received.toString(StandardCharsets.UTF_8));
        }
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static Reply parse(String raw) throws IOException {
        int headerEnd = raw.indexOf("\r\n\r\n");
        if (!raw.startsWith("HTTP/") || headerEnd < 0) {
            throw new IOException("not an HTTP reply: " + raw);
        }
        String statusLine = raw.substring(0, raw.indexOf("\r\n"));
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        String headers = raw.substring(0, headerEnd).toLowerCase();
        String body = raw.substring(headerEnd + 4);
        if (headers.contains("transfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return new Reply(status, body);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            // sizes count bytes; the JSON bodies the tests read are ASCII
            out.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
