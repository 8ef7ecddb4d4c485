package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountHolders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Repairs what an unclean stop (crash, kill -9, power loss) left, where that is safe:
 * <ul>
 *   <li>leftovers of interrupted creates (also the original's: a volume directory with no metadata.json and
 *       nothing in it), removes and atomic writes are deleted;</li>
 *   <li>a volatile volume's old changes set aside by a Mount that never mounted are put back (a failed Mount loses
 *       nothing), those of a Mount that did mount are deleted ({@link VolumeStore#recoverDiscarded});</li>
 *   <li>a volume that is not mounted loses stale active-mount files and its workdir/ and mountpoint/: nothing
 *       can be using it (after a reboot dockerd mounts again, with the same IDs);</li>
 *   <li>something at a volume's mountpoint that is not its own overlay (see
 *       {@link org.dockerontop.plugin.mount.MountIdentity}) is left alone, and so are the volume's counts;</li>
 *   <li>a mounted volume is left mounted and reported (its containers may still run: FUSE mounts outlive the
 *       plugin); the next Mount adopts it (a volatile one with no count is unmounted and discarded by it instead,
 *       unless held elsewhere), a dead one is replaced at the next Mount;</li>
 *   <li>its counts are cleared if nothing outside the plugin holds its mount and this process sees the containers
 *       (see {@link ContainerEngine}): every container using a volume holds a copy of its mount in its own mount
 *       namespace, so those uses ended while the plugin was not running, and dockerd sends an Unmount only once.
 *       Left counted, the volume would stay mounted for good and a volatile one would never discard again. Only
 *       counts are cleared, never a mount: a count cleared wrongly (a container whose Mount the previous daemon
 *       answered just before it died, not yet started) is not needed: the volume's next Mount adopts the mount
 *       that container holds, and its Unmount, with no use counted, releases the volume as a last Unmount;</li>
 *   <li>original volumes without a CreatedAt get their directory's time, so it stays stable from now on.</li>
 * </ul>
 * Each volume is examined under its lock, so a second daemon on the same root is never disturbed mid-Mount.
 */
final class StartupRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(StartupRecovery.class);

    private final VolumeStore store;
    private final BooleanSupplier seesContainers;

    /** @param seesContainers whether this process sees every container's processes (and mount namespace) */
    StartupRecovery(VolumeStore store, BooleanSupplier seesContainers) {
        this.store = store;
        this.seesContainers = seesContainers;
    }

    /**
     * @throws VolumeException if the state directory cannot be listed; problems with one volume are logged
     */
    void run() throws VolumeException {
        store.sweepRoot();
        for (String name : store.names()) {
            if (!store.exists(name)) {
                notAVolume(name);
                continue;
            }
            try (VolumeLock lock = store.lock(name)) {
                recover(name);
            } catch (VolumeException | RuntimeException e) {
                LOG.warn("Volume {}: cannot check its state at start-up: {}", name, e.getMessage());
            }
        }
    }

    /** Whether no container can be using the volume's live mount (false when that cannot be known). */
    private boolean nothingElseHolds(String name, MountState state) {
        if (!seesContainers.getAsBoolean()) {
            return false;
        }
        try {
            return MountHolders.others(state.entry()).isEmpty();
        } catch (IOException e) {
            LOG.debug("Volume {}: cannot tell who holds its mount ({}); keeping its counts", name, e.getMessage());
            return false;
        }
    }

    private void clearCounts(String name, Map<String, Integer> counts) {
        for (String id : counts.keySet()) {
            try {
                store.deleteActiveMount(name, id);
            } catch (IOException e) {
                LOG.warn("Volume {}: cannot clear active mount {}: {}", name, id, e.toString());
            }
        }
    }

    /** A directory without metadata.json: deleted if an interrupted create left it, otherwise reported. */
    private void notAVolume(String name) {
        try {
            if (store.deleteIfInterruptedCreate(name)) {
                LOG.warn("Deleted {}: an interrupted create left it (no {}, nothing in it)", store.volumeDir(name),
                        VolumeStore.METADATA);
                return;
            }
        } catch (IOException | VolumeException e) {
            LOG.warn("Cannot check or delete {}: {}", store.volumeDir(name), e.toString());
        }
        LOG.warn("Directory {} has no {}: not a volume, ignored (the name {} cannot be used until it is moved away)",
                store.volumeDir(name), VolumeStore.METADATA, name);
    }

    private void recover(String name) throws VolumeException {
        if (!store.exists(name)) {
            return; // removed since it was listed
        }
        VolumeMetadata meta = store.readMetadata(name);
        if (meta.createdAtInstant() == null) {
            try {
                store.writeMetadata(name, meta.withCreatedAt(store.directoryTime(name)));
            } catch (VolumeException e) {
                // a nicety: it must not keep the repairs below from happening (a full disk is a likely reason
                // for the crash that start-up is recovering from)
                LOG.warn("Volume {}: cannot record its creation time: {}", name, e.getMessage());
            }
        }
        store.sweepTemporaryFiles(name);
        Map<String, Integer> counts = store.activeMounts(name);
        Path mp = store.mountpoint(name);
        MountState state = MountState.probe(mp, meta, store.upper(name));
        store.recoverDiscarded(name, state.mounted()); // anything mounted: the volume's own may be under it
        if (state.foreign()) {
            // not the volume's: it tells nothing about the volume's uses (its own mount may be under it)
            LOG.warn("Volume {}: something else is mounted at {}: {}; left alone, and the next Mount refuses it until "
                    + "it is unmounted (active mounts kept: {})", name, mp, state.describe(), counts);
            return;
        }
        if (state.dead()) {
            LOG.warn("Volume {} is mounted at {} but the mount {}; it is replaced at the next Mount "
                    + "(active mounts: {})", name, mp, state.problem(), counts);
            return;
        }
        if (state.mounted()) {
            if (!counts.isEmpty() && nothingElseHolds(name, state)) {
                LOG.warn("Volume {} is counted as used by {}, but nothing outside the plugin holds its mount: those "
                        + "containers stopped while the plugin was not running, and dockerd sends an Unmount only "
                        + "once; clearing the counts (the volume's next use releases the mount)", name, counts);
                clearCounts(name, counts);
                counts = Map.of();
            }
            LOG.info("Volume {} is still mounted at {} ({}), adopting it; active mounts: {}", name, mp,
                    state.entry().fsType(), counts);
            return;
        }
        if (!counts.isEmpty()) {
            LOG.warn("Volume {} is not mounted but was counted as used by {} (unclean stop); clearing them", name,
                    counts);
            clearCounts(name, counts);
        }
        Mountpoints.removeMountDirectories(store, name);
    }
}
