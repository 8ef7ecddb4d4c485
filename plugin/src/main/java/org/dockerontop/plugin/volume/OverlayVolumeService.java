package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.format.Trees;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.dockerontop.plugin.mount.Layers;
import org.dockerontop.plugin.mount.MountIdentity;
import org.dockerontop.plugin.mount.MountResult;
import org.dockerontop.plugin.mount.MountStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Copy-on-write volumes: each volume's base directory overlaid with its own upper directory, mounted by a
 * {@link MountStrategy} at the volume's mountpoint while at least one container uses it.
 *
 * <p><b>Crash safety.</b> The one state that must never exist is "counted as in use (a file in
 * activemounts/) while not mounted": dockerd would hand containers an empty directory. So every step is
 * ordered to pass only through states that are safe if the process dies right there:
 * <ul>
 *   <li>first Mount: mkdir workdir/mountpoint, mount, <i>then</i> write the count. A crash in between leaves
 *       "mounted, not counted", which the next Mount adopts and start-up leaves alone.</li>
 *   <li>last Unmount: delete the count, <i>then</i> unmount (rewriting the count if the unmount fails),
 *       then remove mountpoint/ and workdir/. A crash in between leaves "mounted, not counted" or
 *       "not mounted, not counted" plus empty directories, both harmless (the next Mount of a volatile volume
 *       unmounts the uncounted mount first, so that it still discards). A mount something else still holds (a
 *       copy in another mount namespace, a bind mount) is not unmounted: it is left uncounted for the next Mount
 *       to adopt, and released in the background once nothing holds it any more (most holders are transient).
 *       An Unmount of an ID no longer counted, with no other use counted, is a last Unmount too (minus the first
 *       step).</li>
 *   <li>counts change by atomic file replacement, so they are never torn.</li>
 *   <li>a volatile upper is emptied at the first Mount by moving it aside; it is deleted (in the background)
 *       only after the mount succeeded and was counted, and put back if the Mount failed or the plugin died
 *       before mounting (by start-up), so a failed Mount loses nothing.</li>
 *   <li>a dead mount (FUSE server gone or hung) is detached and replaced at Mount, never handed out.</li>
 *   <li>a first Mount answers in bounded time even if the base's file system stops answering under it: its look at
 *       the base is bounded ({@link MountedBase#lookBeforeMount}), and so is the kernel's mount, whose overlay is
 *       discarded, never attached, if it is made after the Mount gave up on it
 *       ({@link org.dockerontop.plugin.mount.BoundedMount}); so a hung base never holds the volume's lock, and with
 *       it the volume's Unmounts and Removes, for long.</li>
 *   <li>a mount that is not the volume's own overlay (another filesystem, or an overlay of other layers: see
 *       {@link MountIdentity}) is never handed out and never unmounted; one whose root can no longer be listed (its
 *       base removed while mounted) is handed out no more, and replaced once no use counts and nothing holds it.</li>
 * </ul>
 * Mount/Unmount/Remove of one volume hold its flock (see {@link VolumeStore#lock}); different volumes
 * proceed in parallel.
 *
 * <p>This class makes the create, remove, mount and unmount decisions. What Get, List and Path answer is
 * {@link VolumeInspection}'s; the counts of uses are kept by {@link UseCounts}, who else holds a mount is told by
 * {@link OutsideHolders}, what to say of a layer lost or hung under a mount by {@link LostLayers}, and which base
 * directory a mount shows by {@link MountedBase}.
 */
public final class OverlayVolumeService implements VolumeService {
    private static final Logger LOG = LoggerFactory.getLogger(OverlayVolumeService.class);
    /**
     * How long the daemon looks again for holders of a mount before they count (see {@link OutsideHolders#lasting}): longer
     * than a container start takes from runc's new mount namespace to its pivot_root on a busy host.
     */
    static final Duration HOLDER_SETTLE_TIME = Duration.ofSeconds(1);

    private final VolumeStore store;
    private final String defaultStrategy;
    private final StrategyResolver strategies;
    private final OutsideHolders holders;
    private final LostUses lostUses;
    private final UseCounts uses;
    private final VolumeInspection inspection;
    /** What mounted each currently mounted volume, for Get's Status (lost on restart: then derived). */
    private final Map<String, MountResult> mountedWith = new ConcurrentHashMap<>();
    /** Volumes whose mount a Mount found not answering a listing of its root, until a listing answers again. */
    private final Set<String> unanswered = ConcurrentHashMap.newKeySet();
    /** Looks again at mounts that last Unmounts left because something outside held them; releases them once not. */
    private final HeldMountRechecks rechecks = new HeldMountRechecks(this::releaseIfNoLongerHeld);
    /** Deletes discarded volatile uppers after the Mount that discarded them has answered. */
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "docker-on-top discarded-upper deleter");
        t.setDaemon(true);
        return t;
    });

    /**
     * A service that never drops lost uses and takes every holder of a mount at its first sight (for tests; the
     * daemon's own is made by {@link VolumeServiceFactory#open}).
     *
     * @param defaultStrategy used by volumes created without {@code -o strategy=}
     */
    public OverlayVolumeService(VolumeStore store, String defaultStrategy, StrategyResolver strategies) {
        this(store, defaultStrategy, strategies, HolderLookup.PROC, LostUses.never(), Duration.ZERO);
    }

    OverlayVolumeService(VolumeStore store, String defaultStrategy, StrategyResolver strategies,
                         HolderLookup holderLookup) {
        this(store, defaultStrategy, strategies, holderLookup, LostUses.never(), Duration.ZERO);
    }

    /**
     * @param lostUses         tells which counted uses may have lost their Unmount; a later Mount or Unmount drops
     *                         those that nothing outside the plugin holds
     * @param holderSettleTime how long holders of a mount are looked for again before they keep it mounted or
     *                         refuse a Remove ({@link #HOLDER_SETTLE_TIME} in the daemon)
     */
    OverlayVolumeService(VolumeStore store, String defaultStrategy, StrategyResolver strategies,
                         HolderLookup holderLookup, LostUses lostUses, Duration holderSettleTime) {
        this.store = store;
        this.defaultStrategy = defaultStrategy;
        this.strategies = strategies;
        this.holders = new OutsideHolders(holderLookup, holderSettleTime);
        this.lostUses = lostUses;
        this.uses = new UseCounts(store, lostUses);
        this.inspection = new VolumeInspection(store, defaultStrategy, holders, lostUses, mountedWith, unanswered);
    }

    // ---------------------------------------------------------------- create / remove

    @Override
    public void create(String name, Map<String, String> options) throws VolumeException {
        VolumeOptions.validateName(name);
        VolumeMetadata metadata = VolumeOptions.parse(options, Instant.now());
        VolumeOptions.requireOutside(metadata.baseDirPath(), store.root());
        store.create(name, metadata);
        LOG.info("Created volume {} on {} (volatile={}, strategy={})", name, metadata.baseDirPath(),
                metadata.volatileVolume(), metadata.strategyOr(defaultStrategy));
    }

    @Override
    public void remove(String name) throws VolumeException {
        VolumeStore.requireValidName(name);
        try (VolumeLock lock = store.lock(name)) {
            store.requireExists(name);
            Map<String, Integer> counts = store.activeMounts(name);
            if (!counts.isEmpty()) {
                LOG.warn("Removing volume {} although it is still counted as used by mount IDs {} "
                        + "(dockerd's own counts can be stale after it restarts)", name, counts);
            }
            Path mp = store.mountpoint(name);
            MountState state = probe(name, store.metadataOrNull(name), mp);
            if (state.dead()) {
                Mountpoints.clearDeadMount(name, mp, state);
            } else if (state.foreign()) {
                throw new VolumeException("cannot remove volume " + name + ": something else is mounted at " + mp
                        + ": " + state.describe() + ", which is not the volume's to unmount; unmount it (umount " + mp
                        + ") and retry");
            } else if (state.mounted()) {
                refuseIfHeldElsewhere(name, state);
                try {
                    strategyToUnmount(name, state.entry()).unmount(mp);
                } catch (VolumeException e) {
                    throw new VolumeException("cannot remove volume " + name + ": it is still mounted and cannot be "
                            + "unmounted: " + e.getMessage() + ". Stop the containers using it and retry"
                            + hungBaseHint(name), e);
                }
                LOG.info("Volume {}: unmounted a leftover mount at {} before removing it", name, mp);
            }
            List<MountEntry> inside = MountState.mountTable().under(store.volumeDir(name));
            if (!inside.isEmpty()) {
                throw new VolumeException("cannot remove volume " + name + ": something is still mounted inside its "
                        + "state directory (" + inside.get(0).mountpoint() + "); unmount it and retry");
            }
            store.delete(name);
            mountedWith.remove(name);
            unanswered.remove(name);
            lostUses.removed(name);
            LOG.info("Removed volume {}", name);
        }
    }

    // ---------------------------------------------------------------- mount / unmount

    @Override
    public Path mount(String name, String id) throws VolumeException {
        VolumeStore.requireValidName(name);
        VolumeOptions.validateMountId(id);
        try (VolumeLock lock = store.lock(name)) {
            VolumeMetadata meta = store.readMetadata(name); // after locking: a Remove may have won the race
            Map<String, Integer> counts = store.activeMounts(name);
            int previous = counts.getOrDefault(id, 0);
            Path mp = store.mountpoint(name);
            MountState state = probe(name, meta, mp);
            if (state.dead()) {
                LOG.warn("Volume {}: the mount at {} {}; replacing it", name, mp, state.problem());
                try {
                    Mountpoints.clearDeadMount(name, mp, state);
                } catch (VolumeException e) {
                    throw new VolumeException("cannot mount volume " + name + ": the mount at " + mp + " "
                            + state.problem() + " and cannot be cleared: " + e.getMessage(), e);
                }
                state = MountState.NOT_MOUNTED;
            }
            if (state.foreign()) {
                throw new VolumeException("cannot mount volume " + name + ": something else is mounted at " + mp
                        + ": " + state.describe() + "; it would be handed to the container instead of the volume. "
                        + "Unmount it (umount " + mp + ") and retry");
            }
            String why = "an Unmount was interrupted";
            if (lostUses.mayBeLost(name, counts.keySet()) && holders.noContainerHolds(state)) {
                LOG.warn("Volume {}: dropping the uses of mount IDs {}: no container holds the volume's mount any "
                        + "more, so they ended without an Unmount (dockerd was killed, or they stopped while the "
                        + "plugin was down), and dockerd never sends it later", name, counts.keySet());
                uses.drop(name, counts.keySet());
                counts = Map.of();
                previous = 0;
                why = "its uses ended without an Unmount";
            }
            if (state.mounted() && counts.isEmpty() && meta.volatileVolume()) {
                state = unmountUncountedVolatile(name, mp, state, why);
            }
            ExistingMounts.Listing listing = state.mounted() ? ExistingMounts.listRoot(state.entry()) : null;
            if (listing != null && !listing.answered()) {
                throw notAnswering(name, meta, mp, state);
            }
            if (listing != null && !listing.listed()) {
                state = replaceUnlistable(name, meta, counts, mp, state, listing.failure());
            }
            if (state.mounted()) {
                uses.record(name, id, previous + 1);
                MountEntry entry = state.entry();
                mountedWith.computeIfAbsent(name, n -> VolumeInspection.adopted(entry));
                MountedBase.recordAdopted(store, name, entry);
                LOG.debug("Volume {}: mount ID {} now counts {} (already mounted)", name, id, previous + 1);
                return mp;
            }
            if (!counts.isEmpty()) {
                LOG.warn("Volume {} was counted as used by {} but was not mounted; mounting it again and keeping "
                        + "those counts", name, counts);
            }
            mountFirst(name, id, meta, counts, previous, mp);
            return mp;
        }
    }

    /**
     * A volatile volume mounted with no container counted was left so by a last Unmount that was killed between
     * its two steps (or by a first Mount killed before it counted, whose container never started), or by uses
     * this Mount just dropped as lost ({@code why} says which, for the log). Adopting that
     * mount would show the next container the previous one's changes, so it is unmounted and this Mount discards
     * them as usual: but only if nothing else holds the mount, since an unmount here does not end a copy of it in
     * another mount namespace, and the discard would then delete files under whoever uses that copy.
     *
     * @return the state to go on from: not mounted, or {@code state} if the mount stays (it is then adopted)
     */
    private MountState unmountUncountedVolatile(String name, Path mp, MountState state, String why) {
        List<String> holders = this.holders.lasting(state);
        if (!holders.isEmpty()) {
            LOG.warn("Volume {} is volatile and mounted with no container counted ({}), "
                    + "but it is still held by {}: adopting it, so its previous changes stay visible until it is "
                    + "unmounted", name, why, String.join(", ", holders));
            return state;
        }
        try {
            strategyToUnmount(name, state.entry()).unmount(mp);
        } catch (VolumeException e) {
            LOG.warn("Volume {} is volatile and mounted with no container counted ({}), "
                    + "but it cannot be unmounted ({}): adopting it, so its previous changes stay visible", name, why,
                    e.getMessage());
            return state;
        }
        Mountpoints.removeMountDirectories(store, name);
        mountedWith.remove(name);
        LOG.warn("Volume {} was mounted with no container counted ({}); unmounted it, so "
                + "that this Mount discards the changes of its previous use as a volatile volume should", name, why);
        return MountState.NOT_MOUNTED;
    }

    /**
     * A mount whose root cannot be listed: its base directory (or its upper) was removed while it was mounted, and
     * the overlay keeps the deleted directory. No container can start with it: dockerd lists a volume before it
     * starts a container, and fails the start with its own "readdirent" error. If no use is counted and nothing else
     * holds it, it is unmounted, so that this Mount mounts the base as it is now (or says that it is gone);
     * otherwise the containers using it must stop first, and the Mount is refused saying so.
     *
     * @return {@link MountState#NOT_MOUNTED} once it is unmounted
     * @throws VolumeException saying what happened and what to do, while the mount is in use or cannot be unmounted
     */
    private MountState replaceUnlistable(String name, VolumeMetadata meta, Map<String, Integer> counts, Path mp,
                                         MountState state, String failure) throws VolumeException {
        String what = LostLayers.what(store, name, meta);
        if (counts.isEmpty() && holders.lasting(state).isEmpty()) {
            try {
                strategyToUnmount(name, state.entry()).unmount(mp);
            } catch (VolumeException e) {
                throw new VolumeException("cannot mount volume " + name + ": " + what + ", and that mount cannot be "
                        + "unmounted: " + e.getMessage(), e);
            }
            Mountpoints.removeMountDirectories(store, name);
            mountedWith.remove(name);
            LOG.warn("Volume {}: {} (listing it failed: {}); no container used that mount, so it was unmounted to "
                    + "mount the volume afresh", name, what, failure);
            return MountState.NOT_MOUNTED;
        }
        throw new VolumeException("cannot mount volume " + name + ": " + what + ", so no container can start with it "
                + "(listing it fails: " + failure + "). " + LostLayers.whatToDo(store, name, meta));
    }

    /**
     * A mount that answers statfs but not a listing of its root: a layer lies on a file system that hangs (a base on
     * a FUSE or network file system whose server hangs), or its FUSE server hangs in READDIR. dockerd's own listing
     * before it starts the container would hang too, and with it the start. Nothing is changed: the containers using
     * the mount hang on it as well, and anything done to it (an unmount, a look at the base) could hang this request.
     */
    private VolumeException notAnswering(String name, VolumeMetadata meta, Path mp, MountState state) {
        unanswered.add(name);
        return new VolumeException("cannot mount volume " + name + ": " + LostLayers.notAnswering(meta, mp, state)
                + ", then retry; the containers using the volume hang on it until then");
    }

    private void mountFirst(String name, String id, VolumeMetadata meta, Map<String, Integer> counts, int previous,
                            Path mp) throws VolumeException {
        MountStrategy strategy = strategies.forName(meta.strategyOr(defaultStrategy));
        Path base = VolumeOptions.path(meta.baseDirPath());
        MountedBase.Look look = MountedBase.lookBeforeMount(base);
        if (!look.answered()) {
            // mounting would hang too: the kernel overlay statfs's its lower, the FUSE server stats it
            throw new VolumeException("cannot mount volume " + name + ": its base directory " + base + " does not "
                    + "answer (looking at it gave no answer within " + MountedBase.LOOK_TIMEOUT.toSeconds() + " s): "
                    + "the network or FUSE file system it lies on hangs. Check that ls " + base + " answers, then "
                    + "retry");
        }
        if (!look.directory()) {
            throw new VolumeException("cannot mount volume " + name + ": its base directory " + base
                    + " no longer exists or is not a directory; restore it, or remove the volume");
        }
        Path upper = store.upper(name);
        Path work = store.workdir(name);
        Path discarded = null;
        boolean mounted = false;
        try {
            if (meta.volatileVolume() && counts.isEmpty()) {
                discarded = store.discardUpper(name);
            } else if (!Files.isDirectory(upper)) {
                LOG.warn("Volume {}: its upper directory {} was missing; creating an empty one", name, upper);
            }
            if (meta.volatileVolume()) {
                // A volatile mount marks its workdir, and the overlay refuses a marked one: the workdir is
                // deleted after each unmount, so a mark found here is from a crash while mounted, which may have
                // cost the upper some changes. Discarded by now, or kept as they are for the containers still
                // counted: a volatile volume's changes are not meant to outlive its use.
                Trees.delete(work);
            }
            VolumeStore.ensureDirectory(upper);
            VolumeStore.ensureDirectory(work);
            VolumeStore.ensureDirectory(mp);
            MountedBase.record(store, name, look.identity()); // before the mount: never describing an older one
            MountResult result = strategy.mount(new Layers(base, upper, work, mp, meta.volatileVolume()));
            mounted = true;
            store.writeActiveMount(name, id, previous + 1);
            lostUses.counted(name, id);
            if (discarded != null) {
                // only now: until the Mount is counted, a crash must let start-up put the old upper back
                discarded = store.confirmDiscard(name, discarded);
            }
            mountedWith.put(name, result);
            LOG.info("Mounted volume {} at {} with {} ({}) for mount ID {}", name, mp, result.strategy(),
                    result.reason(), id);
        } catch (VolumeException | IOException | RuntimeException e) {
            rollBackMount(name, mp, mounted ? strategy : null, discarded);
            if (e instanceof VolumeException) {
                throw new VolumeException("cannot mount volume " + name + ": " + e.getMessage(), e);
            }
            if (e instanceof IOException) {
                throw new VolumeException("cannot mount volume " + name + ": its state in " + store.volumeDir(name)
                        + " cannot be written (" + e + "); check free space and permissions there", e);
            }
            LOG.error("Volume {}: unexpected failure while mounting (rolled back)", name, e);
            throw new VolumeException("cannot mount volume " + name + ": internal error (" + e + "); "
                    + "everything was rolled back, see the plugin's log", e);
        }
        if (discarded != null) {
            // Deleting may take seconds for a big upper: the container need not wait for it. A crash before it is
            // done leaves a '.deleting-upper-*' directory that start-up deletes.
            Path aside = discarded;
            background.execute(() -> store.deleteDiscarded(name, aside));
            LOG.info("Volume {} is volatile: discarded the changes of its previous use", name);
        }
    }

    /** Undoes a failed first Mount: dockerd sends no Unmount after a failed Mount. */
    private void rollBackMount(String name, Path mp, MountStrategy mountedBy, Path discarded) {
        if (mountedBy != null) {
            try {
                mountedBy.unmount(mp);
            } catch (VolumeException e) {
                // No container has received this mount yet, so detaching it cannot break anyone.
                LOG.warn("Volume {}: rolling back a failed Mount, unmount failed ({}); detaching", name, e.getMessage());
                Mountpoints.detach(name, mp);
            }
        }
        Mountpoints.removeMountDirectories(store, name);
        if (discarded != null) {
            store.restoreDiscarded(name, discarded);
        }
        mountedWith.remove(name);
    }

    @Override
    public void unmount(String name, String id) throws VolumeException {
        VolumeStore.requireValidName(name);
        VolumeOptions.validateMountId(id);
        try (VolumeLock lock = store.lock(name)) {
            store.requireExists(name);
            Map<String, Integer> counts = store.activeMounts(name);
            Integer count = counts.get(id);
            Path mp = store.mountpoint(name);
            VolumeMetadata meta = store.metadataOrNull(name);
            MountState state = null;
            Map<String, Integer> others = new LinkedHashMap<>(counts);
            if (count != null && count > 1) {
                others.put(id, count - 1);
            } else {
                others.remove(id);
            }
            if (!others.isEmpty()) {
                state = stateIfLost(name, meta, others.keySet(), mp);
                if (state == null) {
                    if (count == null) {
                        throw new VolumeException("volume " + name + " has no active mount with ID " + id
                                + " (it is used by " + others.size() + " other mount IDs); nothing was changed");
                    }
                    if (count > 1) {
                        uses.record(name, id, count - 1);
                    } else {
                        uses.forget(name, id);
                    }
                    return;
                }
                LOG.warn("Volume {}: mount ID {} was its last user; dropping the uses of mount IDs {} too: no "
                        + "container holds the volume's mount any more, so they ended without an Unmount (dockerd "
                        + "was killed, or they stopped while the plugin was down)", name, id, others.keySet());
                others.remove(id); // ended below, as the last use
                uses.drop(name, others.keySet());
            }
            if (state == null) {
                state = probe(name, meta, mp);
            }
            if (count != null) {
                // Uncount first: dying between the two steps leaves "mounted, not counted", which is safe.
                uses.forget(name, id);
            } else if (state.mounted()) {
                // Its count was cleared (by start-up, as nothing held the mount; by hand) or dropped as lost: no use
                // is left, so this is the volume's last Unmount, and leaving the mount for the next Mount or Remove
                // would keep it (and a FUSE server) for nothing. Nothing is counted, so no step can leave "counted,
                // not mounted".
                LOG.warn("Volume {}: Unmount of mount ID {}, which is not counted (its count was cleared or dropped "
                        + "earlier); no other use is counted either, so it releases the volume", name, id);
            } else {
                LOG.info("Volume {}: Unmount of mount ID {}, which is not counted; the volume is not in use or "
                        + "mounted, nothing to do", name, id);
            }
            release(name, id, mp, state, count != null);
        }
    }

    /**
     * The second half of a last Unmount, once no use of the volume is counted: unmounts it unless something else
     * holds the mount (then it is left for the next Mount to adopt), and removes its mount directories.
     *
     * @param counted whether {@code id}'s use was counted and has just been uncounted (it is counted again if the
     *                unmount fails, so that the volume stays "mounted and counted")
     * @throws VolumeException if the unmount fails (the volume then stays mounted)
     */
    private void release(String name, String id, Path mp, MountState state, boolean counted) throws VolumeException {
        if (state.dead()) {
            Mountpoints.clearDeadMount(name, mp, state);
        } else if (state.foreign()) {
            LOG.warn("Volume {}: something else is mounted at {}: {}; left alone, it is not the volume's to unmount",
                    name, mp, state.describe());
        } else if (state.mounted() && heldElsewhere(name, state)) {
            return; // left for the next Mount, which adopts it (and for a volatile volume discards once not held)
        } else if (state.mounted()) {
            try {
                strategyToUnmount(name, state.entry()).unmount(mp);
                LOG.info("Unmounted volume {} (last user: mount ID {})", name, id);
            } catch (VolumeException e) {
                if (!counted) {
                    throw new VolumeException("cannot unmount volume " + name + ": " + e.getMessage()
                            + ". No container is counted as using it; it stays mounted until its next use or "
                            + "its removal" + hungBaseHint(name), e);
                }
                uses.restore(name, id);
                throw new VolumeException("cannot unmount volume " + name + ": " + e.getMessage()
                        + ". The volume stays mounted and counted as in use; once nothing uses " + mp
                        + " any more, start and stop the container again or remove the volume to release it"
                        + hungBaseHint(name), e);
            }
        } else if (counted) {
            LOG.warn("Volume {} was counted as used by {} but was not mounted", name, id);
        }
        Mountpoints.removeMountDirectories(store, name);
        mountedWith.remove(name);
    }

    /**
     * For an unmount that failed (the mount is busy): if the volume's base does not answer, says so, since then the
     * processes using the volume may be stuck waiting on it (a killed one too, once its FUSE request was read), and
     * none of them can end, nor the unmount succeed, until it answers. Asks the base's file system itself (statfs,
     * bounded: {@link MountedBase#lookBeforeMount}); empty if it answers or the base is unknown.
     */
    private String hungBaseHint(String name) {
        Path base = MountState.lowerOf(store.metadataOrNull(name));
        if (base == null || MountedBase.lookBeforeMount(base).answered()) {
            return "";
        }
        return ". Its base directory " + base + " does not answer (looking at it gave no answer within "
                + MountedBase.LOOK_TIMEOUT.toSeconds() + " s): the processes using the volume may be stuck on it, and "
                + "cannot end until it answers. Check that ls " + base + " answers";
    }

    /**
     * The volume's mount state if the uses of {@code ids} ended without an Unmount (see {@link LostUses}), else null:
     * probing the mount and looking for its holders only once the uses are old enough to be lost.
     */
    private MountState stateIfLost(String name, VolumeMetadata meta, Set<String> ids, Path mp)
            throws VolumeException {
        if (!lostUses.mayBeLost(name, ids)) {
            return null;
        }
        MountState state = probe(name, meta, mp);
        return holders.noContainerHolds(state) ? state : null;
    }

    /**
     * A Remove must not delete the upper under a copy of the mount that its unmount would not end (another mount
     * namespace's, a bind mount): whoever holds it would see its files vanish.
     *
     * @throws VolumeException naming the holders, if there are any
     */
    private void refuseIfHeldElsewhere(String name, MountState state) throws VolumeException {
        List<String> holders = this.holders.lasting(state);
        if (!holders.isEmpty()) {
            throw new VolumeException("cannot remove volume " + name + ": its mount is still held outside the plugin by "
                    + String.join(", ", holders) + ", and removing the volume would delete the files in use there; "
                    + "stop that process (or unmount its copy) and retry");
        }
    }

    /**
     * Whether the last user of a volume leaves a mount that something else still holds (see
     * {@link org.dockerontop.overlay.mount.MountHolders}). Unmounting it here would not end that copy: its overlay
     * would live on over a workdir this Unmount then deletes (its copy-ups fail), the next Mount would put a second
     * overlay over the same upper, a FUSE server would be stopped under its holder, and for a volatile volume the
     * next Mount would discard the changes under whoever uses it. Such a mount is left mounted and uncounted
     * instead; the next Mount adopts it, and until then it is looked at again in the background and released once
     * nothing holds it ({@link #releaseIfNoLongerHeld}).
     */
    private boolean heldElsewhere(String name, MountState state) {
        List<String> holders = this.holders.lasting(state);
        if (holders.isEmpty()) {
            return false;
        }
        LOG.warn("Volume {}: no container uses it any more, but its mount is still held by {}: left mounted and looked "
                + "at again in the background, to be unmounted once nothing holds it (a next Mount adopts it)", name,
                String.join(", ", holders));
        rechecks.watch(name);
        return true;
    }

    /**
     * A background look at a mount a last Unmount left because something outside held it (see
     * {@link HeldMountRechecks}): once nothing holds it, it is released as that Unmount would have released it. Under
     * the volume's lock, and only while no use is counted: a Mount since then adopted it, and its own last Unmount
     * decides. Nothing is counted on this path, so a kill anywhere leaves "mounted, not counted" at worst.
     *
     * @return whether to stop looking (it then ran {@code stopWatching}, under the lock)
     */
    private boolean releaseIfNoLongerHeld(String name, Runnable stopWatching) {
        try (VolumeLock lock = store.lock(name)) {
            Path mp = store.mountpoint(name);
            MountState state = store.activeMounts(name).isEmpty() ? probe(name, store.metadataOrNull(name), mp) : null;
            if (state == null || !state.mounted() || state.dead() || state.foreign()) {
                stopWatching.run(); // in use again, or unmounted, dead or replaced meanwhile: a Mount or Remove decides
                return true;
            }
            if (!holders.now(state).isEmpty()) {
                return false;
            }
            try {
                strategyToUnmount(name, state.entry()).unmount(mp);
            } catch (VolumeException e) {
                LOG.debug("Volume {}: its mount, no longer held outside, cannot be unmounted yet: {}", name,
                        e.getMessage());
                return false;
            }
            Mountpoints.removeMountDirectories(store, name);
            mountedWith.remove(name);
            stopWatching.run();
            LOG.info("Volume {}: nothing outside the plugin holds its mount any more; unmounted it (its last Unmount "
                    + "had left it mounted)", name);
            return true;
        } catch (VolumeException e) {
            stopWatching.run(); // removed (no such volume), or its lock or state cannot be read: left as it is
            return true;
        }
    }

    /** Whether a mount left held by a last Unmount is being looked at again (for tests). */
    boolean watchingHeldMount(String name) {
        return rechecks.watching(name);
    }

    // ---------------------------------------------------------------- queries

    @Override
    public Path path(String name) throws VolumeException {
        return inspection.path(name);
    }

    @Override
    public VolumeInfo get(String name) throws VolumeException {
        return inspection.get(name);
    }

    @Override
    public List<VolumeInfo> list() throws VolumeException {
        return inspection.list();
    }

    // ---------------------------------------------------------------- start-up recovery

    /**
     * Repairs what an unclean stop left, where that is safe; see {@link StartupRecovery}. The counts of a volume
     * that is mounted are kept as they are.
     *
     * @throws VolumeException if the state directory cannot be listed
     */
    public void recover() throws VolumeException {
        recover(() -> false);
    }

    /**
     * As {@link #recover()}, and clears the counts of a mounted volume whose mount nothing outside the plugin holds,
     * provided {@code seesContainers} says this process sees every container's processes: those uses ended while
     * the plugin was not running, and dockerd does not send their Unmount again.
     *
     * @throws VolumeException if the state directory cannot be listed
     */
    public void recover(java.util.function.BooleanSupplier seesContainers) throws VolumeException {
        new StartupRecovery(store, seesContainers).run();
    }

    /** Waits until background deletions submitted so far are done (for tests and orderly shutdown). */
    void awaitBackgroundWork() throws InterruptedException {
        try {
            background.submit(() -> { }).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * What is mounted at the volume's mountpoint, its own overlay told from anything else by its layers (see
     * {@link MountIdentity}); with {@code meta} null (unreadable), any overlay counts as its own.
     */
    private MountState probe(String name, VolumeMetadata meta, Path mp) throws VolumeException {
        return MountState.probe(mp, meta, store.upper(name));
    }

    /** The strategy that can unmount what is mounted now (a kernel overlay or a FUSE mount). */
    private MountStrategy strategyToUnmount(String name, MountEntry entry) throws VolumeException {
        if (entry.isOverlay()) {
            return strategies.forName("overlay");
        }
        if (entry.isFuse()) {
            return strategies.forName("fuse");
        }
        return strategies.forName(store.readMetadata(name).strategyOr(defaultStrategy));
    }

}
