package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.MountException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A kernel mount bounded in time. Making an overlay reads its lower layer (statfs, lookups), so when the base's
 * network or FUSE file system stops answering between the Mount's look at the base and the mount, the mount waits
 * on it, under the volume's lock, and with it every later request on the volume and dockerd. Here the mount runs on
 * a thread of its own and the caller stops waiting after a timeout; the mount is then "given up on": if it returns
 * later, the overlay it made is discarded before it is attached (see {@link #run}), so no mount appears that nobody
 * counts. Until it has returned, a new mount at the same mountpoint is refused ({@link #givenUpAt}): it would share
 * the volume's work directory with the one still being made, and block one more thread on the same base.
 */
public final class BoundedMount {
    private static final Logger LOG = LoggerFactory.getLogger(BoundedMount.class);
    /** Mountpoints whose mount was given up on and has not returned yet, with when it started. */
    private static final Map<Path, Instant> GIVEN_UP = new ConcurrentHashMap<>();

    private enum Phase { RUNNING, ATTACHING, GIVEN_UP, FINISHED }

    /** A mount that asks {@code attach} after making the file system and before attaching it (KernelOverlayMount). */
    @FunctionalInterface
    public interface GatedMount {
        void mount(BooleanSupplier attach) throws MountException;
    }

    private BoundedMount() {
    }

    /** When a mount at {@code mountpoint} that was given up on started, if it has not returned yet. */
    public static Optional<Instant> givenUpAt(Path mountpoint) {
        return Optional.ofNullable(GIVEN_UP.get(key(mountpoint)));
    }

    /**
     * Runs {@code mount} for {@code mountpoint} on a thread of its own and waits for it at most {@code timeout}. Its
     * gate answers true (attach) unless the caller has given up by then; once it has answered true, the caller waits
     * for the attach (which does not read the layers) instead of giving up. So exactly one of two things happens: the
     * caller sees the mount's own outcome, or it gets a TimeoutException and the mount is never attached.
     *
     * @throws TimeoutException if the mount was given up on (or the caller was interrupted while waiting: its
     *                          interrupt status is set again); nothing is mounted by it, then or later
     * @throws MountException   what the mount threw
     */
    public static void run(Path mountpoint, Duration timeout, GatedMount mount)
            throws MountException, TimeoutException {
        Path mp = key(mountpoint);
        AtomicReference<Phase> phase = new AtomicReference<>(Phase.RUNNING);
        CompletableFuture<Void> done = new CompletableFuture<>();
        Instant started = Instant.now();
        Thread t = new Thread(() -> {
            try {
                mount.mount(() -> phase.compareAndSet(Phase.RUNNING, Phase.ATTACHING));
                done.complete(null);
            } catch (MountException | RuntimeException | Error e) {
                done.completeExceptionally(e);
            } finally {
                if (!phase.compareAndSet(Phase.RUNNING, Phase.FINISHED) && phase.get() == Phase.GIVEN_UP) {
                    GIVEN_UP.remove(mp, started);
                    LOG.warn("The mount at {} given up on returned after {} s ({}); nothing was attached", mp,
                            Duration.between(started, Instant.now()).toSeconds(), outcome(done));
                }
            }
        }, "mount " + mp);
        t.setDaemon(true);
        t.start();
        try {
            await(done, timeout);
            return;
        } catch (TimeoutException e) {
            // recorded before the mount can see it given up, so that its own removal comes after this
            GIVEN_UP.put(mp, started);
            if (phase.compareAndSet(Phase.RUNNING, Phase.GIVEN_UP)) {
                throw e;
            }
            GIVEN_UP.remove(mp, started);
        }
        // it returned meanwhile, or is attaching: either way its answer comes without waiting on the layers
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    await(done, Duration.ofDays(1));
                    return;
                } catch (TimeoutException e) {
                    if (Thread.interrupted()) {
                        interrupted = true;
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void await(CompletableFuture<Void> done, Duration timeout) throws MountException, TimeoutException {
        try {
            done.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting for the mount");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MountException m) {
                throw m;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static String outcome(CompletableFuture<Void> done) {
        try {
            done.getNow(null);
            return "it would have succeeded";
        } catch (RuntimeException e) {
            return String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        }
    }

    private static Path key(Path mountpoint) {
        return mountpoint.toAbsolutePath().normalize();
    }
}
