package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.dockerontop.plugin.mount.MountIdentity;
import org.dockerontop.plugin.mount.MountResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What docker volume inspect, docker volume ls and dockerd's Path requests are told about volumes ({@link
 * VolumeService#get}, {@link VolumeService#list}, {@link VolumeService#path}): whether each is mounted, with what,
 * and any problem with what to do about it. Changes nothing on disk, takes no volume lock, and looks at file systems
 * that may hang only in bounded time.
 */
final class VolumeInspection {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeInspection.class);

    private final VolumeStore store;
    private final String defaultStrategy;
    private final OutsideHolders holders;
    private final LostUses lostUses;
    private final Map<String, MountResult> mountedWith;
    private final Set<String> unanswered;

    /**
     * @param mountedWith what mounted each mounted volume, as the volume service keeps it (an adopted mount is added)
     * @param unanswered  volumes whose mount a Mount found not answering (removed once a listing answers again)
     */
    VolumeInspection(VolumeStore store, String defaultStrategy, OutsideHolders holders, LostUses lostUses,
                     Map<String, MountResult> mountedWith, Set<String> unanswered) {
        this.store = store;
        this.defaultStrategy = defaultStrategy;
        this.holders = holders;
        this.lostUses = lostUses;
        this.mountedWith = mountedWith;
        this.unanswered = unanswered;
    }

    Path path(String name) throws VolumeException {
        VolumeStore.requireValidName(name);
        store.requireExists(name);
        Path mp = store.mountpoint(name);
        MountState state = MountState.probe(mp, store.metadataOrNull(name), store.upper(name));
        return state.mounted() && !state.dead() && !state.foreign() ? mp : null;
    }


    VolumeInfo get(String name) throws VolumeException {
        VolumeStore.requireValidName(name);
        VolumeMetadata meta;
        try {
            meta = store.readMetadata(name);
        } catch (VolumeException e) {
            if (!store.exists(name)) {
                throw e;
            }
            // dockerd forgets a volume whose Get fails at its start: report the damage instead of hiding it
            return new VolumeInfo(name, null, store.directoryTime(name), Map.of("problem", e.getMessage()));
        }
        Map<String, Integer> counts = store.activeMounts(name);
        int uses = counts.values().stream().mapToInt(Integer::intValue).sum();
        Path mp = store.mountpoint(name);
        MountState state = MountState.probe(mp, meta, store.upper(name));
        boolean live = state.mounted() && !state.dead() && !state.foreign();
        MountedBase.Look baseNow = MountedBase.look(MountState.lowerOf(meta));

        Map<String, Object> status = new LinkedHashMap<>();
        status.put("base", meta.baseDirPath());
        status.put("volatile", meta.volatileVolume());
        status.put("mounted", live);
        status.put("activeMounts", uses);
        if (live) {
            MountResult with = mountedWith.computeIfAbsent(name, n -> adopted(state.entry()));
            status.put("strategy", with.strategy());
            status.put("strategyReason", with.reason());
        } else {
            status.put("strategy", meta.strategyOr(defaultStrategy));
        }
        status.put("configuredStrategy", meta.strategyOr(defaultStrategy));
        if (state.foreign()) {
            status.put("problem", "something else is mounted at " + mp + ": " + state.describe() + "; the next Mount "
                    + "fails until it is unmounted (umount " + mp + ")");
        } else if (state.dead()) {
            status.put("problem", "the mount at " + mp + " " + state.problem() + "; it is replaced at the next Mount, "
                    + "containers still using it must be restarted");
        } else if (!live && uses > 0) {
            status.put("problem", "counted as in use by " + counts.size() + " mount IDs but not mounted; it is "
                    + "mounted again at the next Mount");
        } else if (live && lostUses.mayBeLost(name, counts.keySet()) && holders.noContainerHolds(state)) {
            status.put("problem", "counted as in use by " + counts.size() + " mount IDs, but no container holds its "
                    + "mount: they ended without an Unmount (dockerd was killed, or they stopped while the plugin was "
                    + "down); the next Mount or Unmount of the volume drops them");
        } else if (!baseNow.answered()) {
            status.put("problem", "its base directory " + meta.baseDirPath() + " does not answer (looking at it gave no "
                    + "answer within " + MountedBase.LOOK_TIMEOUT.toSeconds() + " s): the network or FUSE file system "
                    + "it lies on hangs" + (live ? ", and so do the containers using the volume when they read it" : "")
                    + "; the next Mount fails until it answers (check: ls " + meta.baseDirPath() + ")");
        } else if (live && unanswered.contains(name) && !answersAgain(name, state)) {
            // listed only after a Mount found it hung: a stat of the base may be answered from a FUSE cache
            status.put("problem", LostLayers.notAnswering(meta, mp, state) + "; the next Mount is refused until it does");
        } else if (live && !baseNow.directory() && !ExistingMounts.listRoot(state.entry()).listed()) {
            // listed only when the base is gone or replaced (Get is frequent, and a FUSE root's listing is a request)
            status.put("problem", LostLayers.what(store, name, meta) + ": containers using the volume cannot list it "
                    + "any more, and no new container can start with it. " + LostLayers.whatToDo(store, name, meta));
        } else if (live && MountedBase.replaced(store, name, baseNow)) {
            status.put("problem", ExistingMounts.listRoot(state.entry()).listed()
                    ? "its base directory " + meta.baseDirPath() + " was replaced while the volume was mounted (it is "
                    + "now another directory): the mount still shows the one that was there, to the containers using "
                    + "it and to those started with the volume now. " + LostLayers.whatToDo(store, name, meta)
                    : LostLayers.what(store, name, meta) + ": containers using the volume cannot list it any more, and "
                    + "no new container can start with it. " + LostLayers.whatToDo(store, name, meta));
        } else if (!baseNow.directory()) {
            status.put("problem", "its base directory " + meta.baseDirPath() + " no longer exists or is not a "
                    + "directory: " + (live ? "containers using the volume still see it as it was when it was "
                    + "mounted, but once they stop " : "") + "the next Mount fails; restore it, or remove the volume");
        }
        return new VolumeInfo(name, live ? mp : null, createdAt(name, meta), status);
    }


    List<VolumeInfo> list() throws VolumeException {
        List<VolumeInfo> all = new ArrayList<>();
        MountTable table = MountState.mountTable();
        for (String name : store.names()) {
            if (!store.exists(name)) {
                LOG.warn("Skipping {} in List: it has no {}", store.volumeDir(name), VolumeStore.METADATA);
                continue;
            }
            Path mp = store.mountpoint(name);
            Instant created;
            VolumeMetadata meta = null;
            try {
                meta = store.readMetadata(name);
                created = createdAt(name, meta);
            } catch (VolumeException e) {
                LOG.warn("Volume {}: {}", name, e.getMessage());
                created = store.directoryTime(name);
            }
            Path lower = MountState.lowerOf(meta);
            Path upper = store.upper(name);
            boolean ours = table.at(mp).map(e -> MountIdentity.whyNotOurs(e, lower, upper) == null).orElse(false);
            all.add(new VolumeInfo(name, ours ? mp : null, created, Map.of()));
        }
        return all;
    }


    private Instant createdAt(String name, VolumeMetadata meta) throws VolumeException {
        Instant t = meta.createdAtInstant();
        return t != null ? t : store.directoryTime(name);
    }


    /** Whether the root of a mount found not answering answers a listing again (which ends the report). */
    private boolean answersAgain(String name, MountState state) {
        if (!ExistingMounts.listRoot(state.entry()).answered()) {
            return false;
        }
        unanswered.remove(name);
        return true;
    }


    static MountResult adopted(MountEntry entry) {
        return new MountResult(entry.isFuse() ? "fuse" : entry.isOverlay() ? "overlay" : entry.fsType(),
                "adopted a mount that existed before the plugin started");
    }
}
