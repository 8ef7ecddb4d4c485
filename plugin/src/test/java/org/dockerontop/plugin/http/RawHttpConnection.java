package org.dockerontop.plugin.http;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A test client speaking raw HTTP/1.x over a real unix socket, so tests control every byte dockerd
 * (or a misbehaving client) could send, and see exactly what the server answers.
 */
public final class RawHttpConnection implements Closeable {
    public record Response(String statusLine, int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024).flip();

    public RawHttpConnection(Path socket) throws IOException {
        this(UnixDomainSocketAddress.of(socket));
    }

    /** Any address: the benchmark compares the unix socket with Undertow's own TCP listener. */
    RawHttpConnection(SocketAddress address) throws IOException {
        channel = SocketChannel.open(address);
    }

    SocketChannel channel() {
        return channel;
    }

    /**
     * A complete HTTP/1.1 POST byte for byte as dockerd 20+ sends it (captured from a real dockerd): empty Host,
     * no Content-Type, its Accept header.
     */
    static String post(String path, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return "POST " + path + " HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: " + bytes.length
                + "\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n\r\n" + body;
    }

    public Response exchange(String path, String body) throws IOException {
        send(post(path, body));
        return read();
    }

    void send(String raw) throws IOException {
        send(raw.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] raw) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(raw);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Reads one response (Content-Length or chunked body). */
    Response read() throws IOException {
        String statusLine = line();
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                body.write(bytes(size));
                line();
            }
            line();
        } else if (headers.containsKey("content-length")) {
            body.write(bytes(Integer.parseInt(headers.get("content-length"))));
        } else if (status >= 200 && status != 204 && status != 304) {
            // neither: the body runs until the server closes the connection
            int b;
            while ((b = readByte()) >= 0) {
                body.write(b);
            }
        }
        return new Response(statusLine, status, headers, body.toString(StandardCharsets.UTF_8));
    }

    /** @return true if the server has closed the connection (reads end of stream within the timeout) */
    boolean closedByServer(long timeoutMillis) throws IOException {
        channel.configureBlocking(false);
        try {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            while (System.currentTimeMillis() < deadline) {
                if (in.hasRemaining()) {
                    return false;
                }
                in.clear();
                int n;
                try {
                    n = channel.read(in);
                } catch (IOException reset) {
                    return true;
                } finally {
                    in.flip();
                }
                if (n < 0) {
                    return true;
                }
                if (n == 0) {
                    sleep();
                }
            }
            return false;
        } finally {
            channel.configureBlocking(true);
        }
    }

    private byte[] bytes(int n) throws IOException {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            int b = readByte();
            if (b < 0) {
                throw new EOFException("connection closed in the middle of a body");
            }
            out[i] = (byte) b;
        }
        return out;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = readByte(); b != '\n'; b = readByte()) {
            if (b < 0) {
                throw new EOFException("connection closed by the server; read so far: " + line);
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private int readByte() throws IOException {
        if (!in.hasRemaining()) {
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                return -1;
            }
        }
        return in.get() & 0xff;
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
