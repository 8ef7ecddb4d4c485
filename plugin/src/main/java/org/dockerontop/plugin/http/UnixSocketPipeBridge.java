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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
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
    /** How long a connection Undertow closed may still send (discarded) input before it is closed. */
    private static final long LINGER_MILLIS = 1000;

    private final ServerSocketChannel server;
    private final XnioWorker worker;
    private final ChannelListener<StreamConnection> rootListener;
    private final ChannelListener<StreamConnection> otherListener;
    private final UserPrincipal root;
    private final ExecutorService threads;
    private final ScheduledExecutorService lingerTimer;
    /** Each open unix connection and its pipe to Undertow. */
    private final Map<SocketChannel, Link> open = new ConcurrentHashMap<>();
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
        this.lingerTimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "unix-linger");
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
        Link link = new Link(client, pipe.getLeftSide(), pipe.getRightSide());
        open.put(client, link);
        if (closed) { // close() ran between accept and here: it would miss this connection
            open.remove(client);
            IoUtils.safeClose(client, link.pump, link.http);
            return;
        }
        threads.execute(() -> clientToHttp(link));
        threads.execute(() -> httpToClient(link));
        link.http.getIoThread().execute(() -> listener.handleEvent(link.http));
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

    /** One unix connection and the pipe that carries it to and from Undertow. */
    private static final class Link {
        final SocketChannel client;
        final StreamConnection http; // Undertow's end
        final StreamConnection pump; // ours
        volatile boolean clientDone; // the client has sent end of input
        volatile boolean httpDone;   // Undertow has closed its end

        Link(SocketChannel client, StreamConnection http, StreamConnection pump) {
            this.client = client;
            this.http = http;
            this.pump = pump;
        }
    }

    private void clientToHttp(Link link) {
        ConduitStreamSinkChannel toHttp = link.pump.getSinkChannel();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
        boolean discarding = false;
        try {
            while (link.client.read(buffer) >= 0) {
                buffer.flip();
                if (!discarding) {
                    try {
                        while (buffer.hasRemaining()) {
                            // bounded waits: see httpToClient
                            if (Channels.writeBlocking(toHttp, buffer, 1, TimeUnit.SECONDS) == 0 && !link.client.isOpen()) {
                                return;
                            }
                        }
                    } catch (IOException httpClosed) {
                        // Undertow is done with this connection and its answer is on the way: swallow the rest
                        discarding = true;
                    }
                }
                buffer.clear();
            }
            link.clientDone = true;
            if (link.httpDone) {
                finish(link);
            } else {
                // a half-close: Undertow sees end of input, answers what it has and closes the connection
                Channels.shutdownWritesBlocking(toHttp);
            }
        } catch (IOException e) {
            finish(link);
        }
    }

    private void httpToClient(Link link) {
        ConduitStreamSourceChannel fromHttp = link.pump.getSourceChannel();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
        try {
            while (true) {
                // bounded wait: a pipe end closed by another thread does not wake a selector waiting on it
                int n = Channels.readBlocking(fromHttp, buffer, 1, TimeUnit.SECONDS);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    if (!link.client.isOpen()) {
                        break;
                    }
                    continue;
                }
                buffer.flip();
                while (buffer.hasRemaining()) {
                    link.client.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException e) {
            log.debug("connection ended: {}", e.toString());
        }
        // Undertow closed the connection (Connection: close, HTTP/1.0, an error, the client went away, shutdown)
        link.httpDone = true;
        if (link.clientDone || !link.client.isOpen()) {
            finish(link);
        } else {
            linger(link);
        }
    }

    /**
     * Closing a unix socket that still holds unread input makes the peer's next read fail with ECONNRESET,
     * which can swallow the answer just sent (a 413 for a body never read, say). So send end of input instead,
     * let {@link #clientToHttp} discard whatever still arrives, and close for good a moment later.
     */
    private void linger(Link link) {
        if (closed) { // shutting down: the answers that matter (drained requests) had no unread input behind them
            finish(link);
            return;
        }
        try {
            link.client.shutdownOutput();
            lingerTimer.schedule(() -> finish(link), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        } catch (IOException | RejectedExecutionException e) {
            finish(link);
        }
    }

    private void finish(Link link) {
        open.remove(link.client);
        IoUtils.safeClose(link.client, link.pump);
    }

    /**
     * Stops accepting and closes every open connection (the socket file is {@link PluginSocket}'s business).
     * Undertow's ends are closed first so that a response already handed to the pipe still reaches its client.
     */
    @Override
    public void close() {
        closed = true;
        IoUtils.safeClose(server);
        for (Link link : open.values()) {
            if (link.httpDone) {
                finish(link); // lingering
            } else {
                link.http.getIoThread().execute(() -> IoUtils.safeClose(link.http));
            }
        }
        threads.shutdown();
        try {
            if (!threads.awaitTermination(LINGER_MILLIS + 1000, TimeUnit.MILLISECONDS)) {
                log.debug("closing the connections that did not end in time");
                open.keySet().forEach(IoUtils::safeClose);
                threads.shutdownNow(); // wakes pump threads waiting on a pipe
                threads.awaitTermination(1, TimeUnit.SECONDS);
            }
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lingerTimer.shutdownNow();
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
