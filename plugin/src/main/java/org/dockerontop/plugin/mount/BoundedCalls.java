package org.dockerontop.plugin.mount;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Calls into file systems that may never answer (a stopped or hung FUSE server, and an overlay with a layer on one),
 * bounded in time: each call runs on a daemon thread and the caller stops waiting after a timeout, so that a hung
 * file system cannot hang a request of dockerd's (and dockerd with it). A call given up on stays blocked until the
 * file system answers or its server dies; later calls with the same key wait for its answer instead of blocking one
 * more thread each (a hung volume is looked at by every Get).
 */
public final class BoundedCalls {
    private static final Map<String, CompletableFuture<Object>> PENDING = new ConcurrentHashMap<>();

    private BoundedCalls() {
    }

    /**
     * Runs {@code call} on a thread named {@code threadName}, or joins the one still pending under {@code key}.
     *
     * @param key        what is called, on which file system: calls with equal keys share one answer while it is
     *                   pending. For a mount, name its device too: a pending call keeps that file system alive, so
     *                   its number cannot pass to another mount at the same path (one replacing a dead mount)
     * @param threadName names the thread, so that a thread dump shows what it is blocked on
     * @return what {@code call} returned
     * @throws TimeoutException if it did not return within {@code timeout}, or the caller was interrupted while
     *                          waiting (its interrupt status is then set again)
     * @throws RuntimeException what {@code call} threw
     */
    @SuppressWarnings("unchecked")
    public static <T> T call(String key, String threadName, Duration timeout, Supplier<T> call)
            throws TimeoutException {
        CompletableFuture<Object> mine = new CompletableFuture<>();
        CompletableFuture<Object> answer = PENDING.putIfAbsent(key, mine);
        if (answer == null) {
            answer = mine;
            Thread t = new Thread(() -> {
                // out of PENDING before it completes: a call that finds a completed answer there would take it for
                // the present one (a mount seen answering, then killed, still "answering")
                Object value;
                try {
                    value = call.get();
                } catch (RuntimeException | Error e) {
                    PENDING.remove(key, mine);
                    mine.completeExceptionally(e);
                    return;
                }
                PENDING.remove(key, mine);
                mine.complete(value);
            }, threadName);
            t.setDaemon(true);
            t.start();
        }
        try {
            return (T) answer.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting for " + threadName);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
