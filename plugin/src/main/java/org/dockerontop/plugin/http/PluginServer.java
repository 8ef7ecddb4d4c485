package org.dockerontop.plugin.http;

import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import org.dockerontop.plugin.http.ProtocolMessages.ErrResponse;
import org.dockerontop.plugin.volume.VolumeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The Docker volume plugin protocol served by Undertow on a root-only unix socket.
 * Start it with {@link #start}; {@link #close} stops serving and removes the socket file.
 */
public final class PluginServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(PluginServer.class);
    /**
     * How long {@link #close()} lets requests in progress finish: a Mount's answer must reach dockerd.
     * Well inside the systemd unit's TimeoutStopSec (30 s), after which systemd kills the daemon.
     */
    private static final long DRAIN_SECONDS = 20;

    private final PluginSocket socket;
    private final XnioWorker worker;
    private final StoppingGate gate;
    private final GracefulShutdownHandler requests;
    private final UnixSocketPipeBridge bridge;
    private boolean closed;

    private PluginServer(PluginSocket socket, XnioWorker worker, StoppingGate gate, GracefulShutdownHandler requests,
                         UnixSocketPipeBridge bridge) {
        this.socket = socket;
        this.worker = worker;
        this.gate = gate;
        this.requests = requests;
        this.bridge = bridge;
    }

    /** While the server stops, answers with an Err dockerd can show (GracefulShutdownHandler's own 503 is empty). */
    private static final class StoppingGate implements HttpHandler {
        private final HttpHandler next;
        private volatile boolean stopping;

        StoppingGate(HttpHandler next) {
            this.next = next;
        }

        @Override
        public void handleRequest(HttpServerExchange exchange) throws Exception {
            if (stopping) {
                exchange.setPersistent(false);
                ProtocolMessages.send(exchange, 503, new ErrResponse("docker-on-top is stopping; retry once it runs again"));
            } else {
                next.handleRequest(exchange);
            }
        }
    }

    /**
     * Creates the socket at {@code socketPath} and serves {@code volumes} on it until {@link #close()}.
     *
     * @throws SocketInUseException if another daemon answers on {@code socketPath}
     * @throws IOException          if the socket cannot be created
     */
    public static PluginServer start(Path socketPath, VolumeService volumes) throws IOException {
        PluginSocket socket = PluginSocket.bind(socketPath);
        XnioWorker worker = null;
        try {
            worker = Xnio.getInstance(PluginServer.class.getClassLoader()).createWorker(OptionMap.builder()
                    .set(Options.WORKER_NAME, "plugin")
                    .set(Options.WORKER_IO_THREADS, 1)
                    // Mount and Unmount block for as long as a mount takes; requests for different volumes run in parallel
                    .set(Options.WORKER_TASK_CORE_THREADS, 4)
                    .set(Options.WORKER_TASK_MAX_THREADS, 64)
                    .set(Options.THREAD_DAEMON, true)
                    .getMap());
            ByteBufferPool buffers = new DefaultByteBufferPool(false, 16 * 1024);
            // dockerd's HTTP/1.1 requests carry an empty Host header (the URL host of a unix socket is empty);
            // Undertow would refuse them with a bare 400 that dockerd reports as "Plugin.Activate: "
            OptionMap undertowOptions = OptionMap.create(UndertowOptions.REQUIRE_HOST_HTTP11, false);
            HttpOpenListener forRoot = new HttpOpenListener(buffers, undertowOptions);
            // HttpContinueReadHandler answers "Expect: 100-continue" with 100 when the body is first read
            GracefulShutdownHandler requests = new GracefulShutdownHandler(
                    new HttpContinueReadHandler(new BlockingHandler(new VolumeDriverHandler(volumes))));
            StoppingGate gate = new StoppingGate(requests);
            forRoot.setRootHandler(gate);
            HttpOpenListener forOthers = new HttpOpenListener(buffers, undertowOptions);
            forOthers.setRootHandler(new PeerRefusedHandler());
            UnixSocketPipeBridge bridge = new UnixSocketPipeBridge(socket.channel(), worker, forRoot, forOthers);
            bridge.start();
            return new PluginServer(socket, worker, gate, requests, bridge);
        } catch (IOException | RuntimeException e) {
            if (worker != null) {
                worker.shutdownNow();
            }
            socket.close();
            throw e;
        }
    }

    /** The socket's path. */
    public Path socketPath() {
        return socket.path();
    }

    /**
     * Stops serving: removes the socket file (so no new connection arrives), lets requests in progress finish
     * for up to 20 s — a Mount that completed but whose answer never reached dockerd would stay counted with no
     * Unmount ever coming — and then closes every connection. Requests arriving meanwhile get 503 with an Err.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // refuse first, then remove the socket: once the file is gone every request is refused
        // (the other way round, one sent on an open connection in between was still served)
        gate.stopping = true;
        requests.shutdown();
        try {
            socket.close();
        } catch (IOException e) {
            log.warn("could not remove the socket {}: {}", socket.path(), e.toString());
        }
        try {
            if (!requests.awaitShutdown(TimeUnit.SECONDS.toMillis(DRAIN_SECONDS))) {
                log.warn("requests still running after {} s; stopping without waiting for them", DRAIN_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bridge.close();
        worker.shutdownNow();
    }
}
