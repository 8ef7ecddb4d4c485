package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dockerontop.fuse.TraceEvents;

/**
 * Counts the requests the kernel sends to one FUSE mount, by opcode, as the kernel itself records
 * them (tracepoint {@code fuse:fuse_request_send}, kernel 6.15+).
 */
final class FuseRequests implements AutoCloseable {
    static final int LOOKUP = 1;
    static final int READDIR = 28;
    static final int READDIRPLUS = 44;

    private static final String EVENT = "fuse/fuse_request_send";
    private static final Pattern OPCODE = Pattern.compile(" opcode (\\d+) ");

    private final TraceEvents events;

    private FuseRequests(TraceEvents events) {
        this.events = events;
    }

    /** Whether this kernel has the tracepoint and tracefs is mounted (and writable: root). */
    static boolean available() {
        return TraceEvents.available(EVENT);
    }

    /** Starts counting the requests sent to the FUSE mount at {@code mnt}. */
    static FuseRequests start(java.nio.file.Path mnt) throws IOException {
        long connection = TraceEvents.kernelDev(Sys.lstat(mnt.toString()).dev());
        return new FuseRequests(TraceEvents.start(EVENT, "connection == " + connection));
    }

    /** Stops counting; the number of requests by opcode since {@link #start}. Fails if any was lost. */
    Map<Integer, Integer> stop() throws IOException {
        Map<Integer, Integer> counts = new TreeMap<>();
        Matcher m = OPCODE.matcher(events.stop());
        while (m.find()) {
            counts.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
        }
        return counts;
    }

    @Override
    public void close() throws IOException {
        events.close();
    }
}
