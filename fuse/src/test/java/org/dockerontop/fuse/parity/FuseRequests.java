package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the requests the kernel sends to one FUSE mount, by opcode, as the kernel itself records
 * them (tracepoint {@code fuse:fuse_request_send}, kernel 6.15+), in a tracing instance of its own so
 * that nothing else on the machine is traced or disturbed. What a test learns from it is what the
 * kernel asked, not what the server says it did.
 */
final class FuseRequests implements AutoCloseable {
    static final int LOOKUP = 1;
    static final int READDIR = 28;
    static final int READDIRPLUS = 44;

    private static final Path TRACING = Path.of("/sys/kernel/tracing");
    private static final Path EVENT = Path.of("events/fuse/fuse_request_send");
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Pattern OPCODE = Pattern.compile(" opcode (\\d+) ");
    private static final Pattern WRITTEN = Pattern.compile("entries-in-buffer/entries-written: (\\d+)/(\\d+)");

    private final Path instance;
    private boolean closed;

    private FuseRequests(Path instance) {
        this.instance = instance;
    }

    /** Whether this kernel has the tracepoint and tracefs is mounted (and writable: root). */
    static boolean available() {
        return Files.isDirectory(TRACING.resolve(EVENT)) && Files.isWritable(TRACING.resolve("instances"));
    }

    /** Starts counting the requests sent to the FUSE mount at {@code mnt}. */
    static FuseRequests start(Path mnt) throws IOException {
        long dev = Sys.lstat(mnt.toString()).dev();
        // userspace dev_t to the kernel's (MAJOR << 20 | MINOR); FUSE mounts have major 0
        long minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        long major = (dev >>> 8) & 0xfff;
        long connection = major << 20 | minor;
        Path instance = TRACING.resolve("instances/dot-fuse-requests-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        Files.createDirectory(instance);
        FuseRequests r = new FuseRequests(instance);
        try {
            write(instance.resolve("buffer_size_kb"), "8192");
            write(instance.resolve(EVENT).resolve("filter"), "connection == " + connection);
            write(instance.resolve(EVENT).resolve("enable"), "1");
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** Stops counting; the number of requests by opcode since {@link #start}. Fails if any was lost. */
    Map<Integer, Integer> stop() throws IOException {
        write(instance.resolve(EVENT).resolve("enable"), "0");
        String trace = Files.readString(instance.resolve("trace"), StandardCharsets.US_ASCII);
        Matcher w = WRITTEN.matcher(trace);
        if (w.find() && !w.group(1).equals(w.group(2))) {
            throw new IOException("the trace buffer lost requests: " + w.group());
        }
        Map<Integer, Integer> counts = new TreeMap<>();
        Matcher m = OPCODE.matcher(trace);
        while (m.find()) {
            counts.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
        }
        return counts;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            write(instance.resolve(EVENT).resolve("enable"), "0");
        } finally {
            Files.delete(instance);
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value + "\n", StandardCharsets.US_ASCII);
    }
}
