package org.dockerontop.plugin.volume;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Looks again, in the background, at the mounts that last Unmounts left mounted because something outside the plugin
 * still held them (see {@link OutsideHolders}), until a look says to stop: most such holders go away by themselves
 * (a container being started, a tool or test that unshared a mount namespace and so copied every host mount), only
 * later than a request can wait for. The looks come after 0.2 s, then ever further apart up to every 5 s, for at
 * most {@link #GIVE_UP_AFTER}; a mount still held then is left for its next Mount or Remove, as before.
 */
final class HeldMountRechecks {
    private static final Logger LOG = LoggerFactory.getLogger(HeldMountRechecks.class);
    static final Duration FIRST = Duration.ofMillis(200);
    static final Duration LONGEST = Duration.ofSeconds(5);
    static final Duration GIVE_UP_AFTER = Duration.ofMinutes(10);

    /** One look at a volume's mount, under the volume's lock. */
    @FunctionalInterface
    interface Look {
        /**
         * @param stopWatching to be run, under the volume's lock, when no more looks are needed (the mount was
         *                     released, or is in use, gone or removed): run there, a last Unmount that leaves the
         *                     mount held again under the same lock is watched afresh rather than missed
         * @return whether it ran {@code stopWatching}
         */
        boolean stopHere(String name, Runnable stopWatching);
    }

    private final Look look;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "docker-on-top held-mount rechecks");
        t.setDaemon(true);
        return t;
    });

    HeldMountRechecks(Look look) {
        this.look = look;
    }

    /** Starts looking at {@code name}'s mount, unless it is looked at already. Called under the volume's lock. */
    void watch(String name) {
        if (watched.add(name)) {
            schedule(name, FIRST, System.nanoTime() + GIVE_UP_AFTER.toNanos());
        }
    }

    /** Whether {@code name}'s mount is being looked at (for tests). */
    boolean watching(String name) {
        return watched.contains(name);
    }

    private void schedule(String name, Duration delay, long deadline) {
        timer.schedule(() -> lookAt(name, delay, deadline), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void lookAt(String name, Duration delay, long deadline) {
        try {
            if (look.stopHere(name, () -> watched.remove(name))) {
                return;
            }
        } catch (RuntimeException e) {
            LOG.warn("Volume {}: looking again at its held mount failed; looking again later", name, e);
        }
        if (System.nanoTime() - deadline > 0) {
            watched.remove(name);
            LOG.warn("Volume {}: its mount is still held outside the plugin {} min after its last Unmount; left "
                    + "mounted for its next Mount (which adopts it) or Remove", name, GIVE_UP_AFTER.toMinutes());
            return;
        }
        Duration next = delay.multipliedBy(2);
        schedule(name, next.compareTo(LONGEST) > 0 ? LONGEST : next, deadline);
    }
}
