package org.dockerontop.plugin;

import com.sun.security.auth.module.UnixSystem;
import org.dockerontop.plugin.cli.DaemonOptions;
import org.dockerontop.plugin.cli.Logging;
import org.dockerontop.plugin.cli.UsageException;
import org.dockerontop.plugin.cli.VolumeServiceOpener;
import org.dockerontop.plugin.http.PluginServer;
import org.dockerontop.plugin.volume.StateRootInUseException;
import org.dockerontop.plugin.volume.StateRootLock;
import org.dockerontop.plugin.volume.VolumeException;
import org.dockerontop.plugin.volume.VolumeService;
import org.dockerontop.plugin.volume.VolumeServiceFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * The docker-on-top daemon: {@code sudo docker-on-top [--name NAME] [--root DIR] ...}. Runs in the foreground
 * until SIGTERM/SIGINT, then removes its socket and lets requests in progress finish (a JVM shutdown hook).
 * Only one daemon runs per state directory (see {@link StateRootLock}); a second one exits 1 at once, naming it.
 * Exit status: 0 for --help/--version, 1 if it cannot start, 2 for a bad command line; after a clean stop the
 * JVM's usual 143 (SIGTERM) or 130 (SIGINT), so a systemd unit declares {@code SuccessExitStatus=143}.
 */
public final class Main {
    // No static logger: slf4j-simple must be configured (from --log-level) before the first logger exists.

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, VolumeServiceFactory::open));
    }

    /**
     * Runs the daemon as {@link #main} does, with the volume service from {@code opener}.
     * Returns the exit status once the daemon stops, i.e. only for a failed start (or --help and --version)
     * or after the JVM's shutdown hooks ran.
     */
    public static int run(String[] args, PrintStream out, PrintStream err, VolumeServiceOpener opener) {
        DaemonOptions options;
        try {
            options = DaemonOptions.parse(args);
        } catch (UsageException e) {
            err.println("docker-on-top: " + e.getMessage());
            err.println();
            err.print(DaemonOptions.USAGE);
            return 2;
        }
        if (options.help()) {
            out.print(DaemonOptions.USAGE);
            return 0;
        }
        if (options.version()) {
            out.println("docker-on-top " + version());
            return 0;
        }
        if (new UnixSystem().getUid() != 0) {
            err.println("docker-on-top: must run as root: it mounts filesystems and serves dockerd on a root-only"
                    + " socket (try: sudo docker-on-top)");
            return 1;
        }
        Logging.configure(options.logLevel());
        Logger log = LoggerFactory.getLogger(Main.class);

        Daemon daemon;
        try {
            daemon = start(options, opener);
        } catch (StateRootInUseException e) {
            log.error("{}", e.getMessage());
            return 1;
        } catch (VolumeException e) {
            log.error("cannot open the volumes under {}: {}", options.root(), e.getMessage(), e.getCause());
            return 1;
        } catch (IOException e) {
            log.error("cannot serve on {}: {}", options.socket(), e.getMessage());
            return 1;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: removing {} and finishing requests in progress", options.socket());
            // Not daemon.close(): the state directory stays locked until the process is gone, since a request that
            // outlived the drain may still be writing state a successor would recover.
            daemon.server().close();
            log.info("stopped");
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await(); // only a signal ends the daemon; the JVM exits once the hook has run
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * A started daemon: the lock on its state directory and the server on its socket.
     * {@link #close()} stops serving, then releases the state directory.
     */
    public record Daemon(StateRootLock rootLock, PluginServer server) implements Closeable {
        @Override
        public void close() {
            try {
                server.close();
            } finally {
                rootLock.close();
            }
        }
    }

    /**
     * Locks the state directory, opens the volumes, then serves them: the lock comes first so that no other
     * daemon's volumes are recovered, mounted or served by this one, and dockerd may connect as soon as the socket
     * exists, so start-up recovery is finished before it is created. Logs what was started. On failure nothing
     * is left held.
     *
     * @throws StateRootInUseException if another daemon holds the state directory (the message names it and,
     *                                 when known, that daemon's pid)
     * @throws VolumeException         if the state directory cannot be locked or the volume service opened
     * @throws IOException             if the socket cannot be served (e.g. another daemon owns it)
     */
    public static Daemon start(DaemonOptions options, VolumeServiceOpener opener)
            throws VolumeException, IOException {
        Logger log = LoggerFactory.getLogger(Main.class);
        log.info("docker-on-top {} starting: driver {}, state in {}, default strategy {}",
                version(), options.name(), options.root(), options.strategy());
        String charset = System.getProperty("sun.jnu.encoding", "");
        if (!charset.equalsIgnoreCase("UTF-8")) {
            log.warn("file names are encoded in {}, not UTF-8 (the locale's charset): base directories with "
                    + "characters beyond ASCII will be refused; start the daemon in a UTF-8 locale, e.g. "
                    + "LC_ALL=C.UTF-8 (its launcher docker-on-top does)", charset);
        }
        StateRootLock rootLock = StateRootLock.acquire(options.root());
        try {
            VolumeService volumes = opener.open(options.root(), options.strategy());
            PluginServer server = PluginServer.start(options.socket(), volumes);
            log.info("serving volume driver {} on {}", options.name(), server.socketPath());
            return new Daemon(rootLock, server);
        } catch (VolumeException | IOException | RuntimeException e) {
            rootLock.close();
            throw e;
        }
    }

    /** The Implementation-Version of the docker-on-top jar, or "development" when run from classes. */
    public static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }
}
