package org.dockerontop.plugin.volume;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Which counted uses of a volume may be lost: uses whose Unmount dockerd will never send. That happens while the
 * plugin runs on when dockerd is killed ({@code kill -9}: at its restart it kills the containers it ran and sends
 * no Unmount for them), and after the plugin was down while one of a volume's containers stopped beside one that
 * still ran (start-up keeps the counts of a mount something holds, not knowing which use ended).
 *
 * <p>A container holds a copy of its volume's mount in its own mount namespace from its start to its end, so a
 * use is lost if nothing outside the plugin holds the mount (the caller checks that) and the use is not of a
 * container that is still starting: dockerd sends the Mount before it creates the container, so a use counted less
 * than a grace period ago may be one. This class answers the second half, and only where the first can be known:
 * when this process sees the containers' processes at all ({@link ContainerEngine}).
 *
 * <p>Times are this daemon's monotonic clock; a use counted before it started (by an earlier daemon) is taken as
 * counted at its start, which only ever makes it look younger.
 */
final class LostUses {
    /** Longer than any container start takes from dockerd's Mount to its namespace (hooks, networks, a busy host). */
    static final Duration GRACE = Duration.ofMinutes(2);

    private final BooleanSupplier seesContainers;
    private final LongSupplier nanoClock;
    private final long graceNanos;
    private final long startedAt;
    /** volume name -> mount ID -> when this daemon last changed its count */
    private final Map<String, Map<String, Long>> countedAt = new ConcurrentHashMap<>();

    /**
     * @param seesContainers whether this process sees every container's processes (and mount namespace)
     * @param nanoClock      a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    LostUses(BooleanSupplier seesContainers, LongSupplier nanoClock, Duration grace) {
        this.seesContainers = seesContainers;
        this.nanoClock = nanoClock;
        this.graceNanos = grace.toNanos();
        this.startedAt = nanoClock.getAsLong();
    }

    /** Never says a use may be lost: for a plugin that cannot see the containers, and for tests. */
    static LostUses never() {
        return new LostUses(() -> false, System::nanoTime, GRACE);
    }

    /** Records that {@code id}'s count on volume {@code name} was just set (to any value above 0). */
    void counted(String name, String id) {
        countedAt.computeIfAbsent(name, n -> new ConcurrentHashMap<>()).put(id, nanoClock.getAsLong());
    }

    /** Records that {@code id} no longer counts on volume {@code name}. */
    void ended(String name, String id) {
        Map<String, Long> ids = countedAt.get(name);
        if (ids != null) {
            ids.remove(id);
        }
    }

    /** Forgets a removed volume. */
    void removed(String name) {
        countedAt.remove(name);
    }

    /**
     * Whether every one of {@code ids} was counted at least the grace period ago and this process sees the
     * containers: then those uses are lost unless something outside the plugin holds the volume's mount.
     */
    boolean mayBeLost(String name, Set<String> ids) {
        if (ids.isEmpty()) {
            return false;
        }
        long now = nanoClock.getAsLong();
        Map<String, Long> known = countedAt.getOrDefault(name, Map.of());
        for (String id : ids) {
            long at = known.getOrDefault(id, startedAt);
            if (now - at < graceNanos) {
                return false;
            }
        }
        return seesContainers.getAsBoolean(); // last: it lists /proc
    }
}
