package org.dockerontop.plugin.http;

import org.dockerontop.plugin.volume.VolumeInfo;
import org.dockerontop.plugin.volume.VolumeService;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the protocol layer over the real unix socket (not a test: it asserts nothing and is not run by
 * surefire). The volume service answers instantly, so this is the cost of socket + bridge + Undertow + JSON,
 * next to the same handlers on Undertow's own TCP listener, i.e. the path without any bridge.
 *
 * <pre>
 * mvn -q -pl plugin -am test-compile -DskipTests
 * mvn -q -pl plugin dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp plugin/target/test-classes:plugin/target/classes:$(cat /tmp/cp.txt) org.dockerontop.plugin.http.ProtocolBenchmark
 * </pre>
 */
public final class ProtocolBenchmark {
    private static final String GET = "{\"Name\":\"v1\"}";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path dir = Files.createTempDirectory("dot-bench");
        Path socket = dir.resolve("bench.sock");
        NonRecordingService volumes = new NonRecordingService();
        // the same handler chain on Undertow's own TCP listener: what a bridge-free (direct conduit) path costs
        Undertow tcp = Undertow.builder()
                .setServerOption(UndertowOptions.REQUIRE_HOST_HTTP11, false)
                .setIoThreads(1)
                .addHttpListener(0, "127.0.0.1")
                .setHandler(new HttpContinueReadHandler(new BlockingHandler(new VolumeDriverHandler(volumes))))
                .build();
        tcp.start();
        try (PluginServer server = PluginServer.start(socket, volumes)) {
            SocketAddress unix = UnixDomainSocketAddress.of(socket);
            SocketAddress loopback = tcp.getListenerInfo().get(0).getAddress();
            // alternate the two so that load from other processes hits both alike
            for (int round = 0; round < rounds; round++) {
                run("unix socket, pipe bridge", unix, n);
                run("TCP loopback, Undertow's own listener (no bridge)", loopback, n);
            }
        } finally {
            tcp.stop();
            Files.deleteIfExists(dir);
        }
    }

    private static void run(String what, SocketAddress address, int n) throws Exception {
        System.out.println(what + ":");
        sequential(address, n); // warm-up
        report("  keep-alive, sequential", sequential(address, n));
        sequentialNewConnections(address, n / 10); // warm-up
        report("  new connection per request", sequentialNewConnections(address, n / 4));
        parallel(address, 64, n / 64); // warm-up
        long start = System.nanoTime();
        parallel(address, 64, n / 16);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("  64 parallel keep-alive connections: %.0f requests/s%n", 64 * (n / 16) / seconds);
    }

    private static long[] sequential(SocketAddress address, int n) throws IOException {
        long[] latencies = new long[n];
        try (RawHttpConnection client = new RawHttpConnection(address)) {
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                check(client.exchange("/VolumeDriver.Get", GET));
                latencies[i] = System.nanoTime() - t;
            }
        }
        return latencies;
    }

    private static long[] sequentialNewConnections(SocketAddress address, int n) throws IOException {
        long[] latencies = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            try (RawHttpConnection client = new RawHttpConnection(address)) {
                check(client.exchange("/VolumeDriver.Get", GET));
            }
            latencies[i] = System.nanoTime() - t;
        }
        return latencies;
    }

    private static void parallel(SocketAddress address, int connections, int each) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                futures.add(pool.submit(() -> sequential(address, each)));
            }
            for (Future<long[]> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void check(RawHttpConnection.Response response) {
        if (response.status() != 200) {
            throw new IllegalStateException(response.statusLine() + " " + response.body());
        }
    }

    private static void report(String what, long[] latencies) {
        long total = Arrays.stream(latencies).sum();
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        System.out.printf("%s: %d requests, %.0f requests/s, p50 %d µs, p99 %d µs, max %d µs%n", what, sorted.length,
                sorted.length / (total / 1e9), sorted[sorted.length / 2] / 1000, sorted[sorted.length * 99 / 100] / 1000,
                sorted[sorted.length - 1] / 1000);
    }

    /** Answers Get like the recording service but keeps no history, so long runs measure only the protocol. */
    private static final class NonRecordingService implements VolumeService {
        @Override
        public VolumeInfo get(String name) {
            return new VolumeInfo(name, RecordingVolumeService.MOUNTPOINT, RecordingVolumeService.CREATED,
                    RecordingVolumeService.status());
        }

        @Override
        public void create(String name, Map<String, String> options) {
        }

        @Override
        public void remove(String name) {
        }

        @Override
        public Path mount(String name, String id) {
            return RecordingVolumeService.MOUNTPOINT;
        }

        @Override
        public void unmount(String name, String id) {
        }

        @Override
        public Path path(String name) {
            return RecordingVolumeService.MOUNTPOINT;
        }

        @Override
        public List<VolumeInfo> list() {
            return List.of(get("v1"));
        }
    }
}
