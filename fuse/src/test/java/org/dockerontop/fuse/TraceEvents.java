package org.dockerontop.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records one kernel tracepoint, filtered, in a tracing instance of its own so that nothing else on
 * the machine is traced or disturbed: what a test learns from it is what the kernel did, not what a
 * server says it did.
 */
public final class TraceEvents implements AutoCloseable {
    private static final Path TRACING = Path.of("/sys/kernel/tracing");
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Pattern WRITTEN = Pattern.compile("entries-in-buffer/entries-written: (\\d+)/(\\d+)");

    private final Path instance;
    private final Path event;
    private boolean closed;

    private TraceEvents(Path instance, Path event) {
        this.instance = instance;
        this.event = event;
    }

    /** Whether this kernel has {@code event} ("system/name") and tracefs is mounted and writable (root). */
    public static boolean available(String event) {
        return Files.isDirectory(TRACING.resolve("events").resolve(event))
                && Files.isWritable(TRACING.resolve("instances"));
    }

    /** A userspace dev_t as the kernel's tracepoints print and filter it: MAJOR << 20 | MINOR. */
    public static long kernelDev(long dev) {
        long minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        return major << 20 | minor;
    }

    /** Starts recording {@code event} ("system/name") where {@code filter} (tracefs filter syntax) holds. */
    public static TraceEvents start(String event, String filter) throws IOException {
        Path instance = TRACING.resolve("instances/dot-test-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        Files.createDirectory(instance);
        TraceEvents t = new TraceEvents(instance, instance.resolve("events").resolve(event));
        try {
            write(instance.resolve("buffer_size_kb"), "8192");
            write(t.event.resolve("filter"), filter);
            write(t.event.resolve("enable"), "1");
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Stops recording; the trace's text since {@link #start}. Fails if any event was lost. */
    public String stop() throws IOException {
        write(event.resolve("enable"), "0");
        String trace = Files.readString(instance.resolve("trace"), StandardCharsets.US_ASCII);
        Matcher w = WRITTEN.matcher(trace);
        if (w.find() && !w.group(1).equals(w.group(2))) {
            throw new IOException("the trace buffer lost events: " + w.group());
        }
        return trace;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            write(event.resolve("enable"), "0");
        } finally {
            Files.delete(instance);
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value + "\n", StandardCharsets.US_ASCII);
    }
}
