package org.dockerontop.plugin.http;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.ChannelPipe;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioWorker;
import org.xnio.channels.Channels;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connects a JDK unix-domain server socket to Undertow, which (through XNIO) only listens on TCP.
 *
 * <p>Each accepted unix connection gets an XNIO full-duplex pipe connection: one end is handed to Undertow's
 * open listener as if it were a freshly accepted TCP connection, the other end is pumped to and from the unix
 * channel by two blocking threads. This uses only XNIO's public API (the alternative, wrapping the unix channel
 * in XNIO's package-private NIO classes, breaks silently on XNIO upgrades) at the price of one extra copy per
 * byte and two threads per open connection, which is irrelevant for dockerd's few small JSON requests.
 *
 * <p>Peers are identified by SO_PEERCRED at accept time: root peers go to {@code rootListener}, everyone
 * else to {@code otherListener} (which answers 403). The socket file is root-only anyway; this is defence in depth.
 */
final class UnixSocketPipeBridge implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(UnixSocketPipeBridge.class);
    private static final int BUFFER_SIZE = 16 * 1024;

    private final ServerSocketChannel server;
    private final XnioWorker worker;
    private final ChannelListener<StreamConnection> rootListener;
    private final ChannelListener<StreamConnection> otherListener;
    private final UserPrincipal root;
    private final ExecutorService threads;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    UnixSocketPipeBridge(ServerSocketChannel server, XnioWorker worker,
                         ChannelListener<StreamConnection> rootListener,
                         ChannelListener<StreamConnection> otherListener) throws IOException {
        this.server = server;
        this.worker = worker;
        this.rootListener = rootListener;
        this.otherListener = otherListener;
        this.root = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("root");
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "unix-pump-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "unix-accept");
        this.acceptor.setDaemon(true);
    }

    void start() {
        acceptor.start();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // e.g. EMFILE: keep serving the connections we have; back off briefly instead of spinning
                log.warn("accepting a connection failed: {}", e.toString());
                sleepQuietly();
                continue;
            }
            try {
                connect(client);
            } catch (IOException | RuntimeException e) {
                log.warn("could not set up a connection: {}", e.toString());
                IoUtils.safeClose(client);
            }
        }
    }

    private void connect(SocketChannel client) throws IOException {
        ChannelListener<StreamConnection> listener = isRoot(client) ? rootListener : otherListener;
        ChannelPipe<StreamConnection, StreamConnection> pipe = worker.getIoThread().createFullDuplexPipeConnection();
        StreamConnection http = pipe.getLeftSide();
        StreamConnection pump = pipe.getRightSide();
        open.add(client);
        if (closed) { // close() ran between accept and here: it would miss this connection
            open.remove(client);
            IoUtils.safeClose(client, pump, http);
            return;
        }
        threads.execute(() -> clientToHttp(client, pump.getSinkChannel(), pump));
        threads.execute(() -> httpToClient(pump.getSourceChannel(), client, pump));
        http.getIoThread().execute(() -> listener.handleEvent(http));
    }

    private boolean isRoot(SocketChannel client) {
        try {
            UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return root.equals(peer.user());
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot tell who connected ({}); treating the peer as unprivileged", e.toString());
            return false;
        }
    }

    private void clientToHttp(SocketChannel client, ConduitStreamSinkChannel toHttp, StreamConnection pump) {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
        try {
            while (client.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    Channels.writeBlocking(toHttp, buffer);
                }
                Channels.flushBlocking(toHttp);
                buffer.clear();
            }
            // the client closed its side: let Undertow see end of input, it closes the connection when done
            Channels.shutdownWritesBlocking(toHttp);
        } catch (IOException e) {
            finish(client, pump);
        }
    }

    private void httpToClient(ConduitStreamSourceChannel fromHttp, SocketChannel client, StreamConnection pump) {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
        try {
            while (true) {
                // bounded wait: a pipe end closed by another thread does not wake a selector waiting on it
                int n = Channels.readBlocking(fromHttp, buffer, 1, TimeUnit.SECONDS);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    if (!client.isOpen()) {
                        break;
                    }
                    continue;
                }
                buffer.flip();
                while (buffer.hasRemaining()) {
                    client.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException e) {
            log.debug("connection ended: {}", e.toString());
        } finally {
            // Undertow closed the connection (Connection: close, HTTP/1.0, error, or the client went away)
            finish(client, pump);
        }
    }

    private void finish(SocketChannel client, StreamConnection pump) {
        open.remove(client);
        IoUtils.safeClose(client, pump);
    }

    /** Stops accepting and closes every open connection (the socket file is {@link PluginSocket}'s business). */
    @Override
    public void close() {
        closed = true;
        IoUtils.safeClose(server);
        for (SocketChannel client : open) {
            IoUtils.safeClose(client);
        }
        // interrupting wakes pump threads waiting on a pipe; once they are gone no connection event can reach
        // the XNIO worker after its owner shuts it down
        threads.shutdownNow();
        try {
            acceptor.join(1000);
            if (!threads.awaitTermination(2, TimeUnit.SECONDS)) {
                log.debug("some connections were still closing after 2 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
