package org.dockerontop.plugin.volume;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The uses of each volume as counted in its activemounts/ (a file per mount ID, see {@link VolumeStore}), with
 * {@link LostUses} told of every change. Each failure says what could not be recorded and what to check.
 */
final class UseCounts {
    private static final Logger LOG = LoggerFactory.getLogger(UseCounts.class);

    private final VolumeStore store;
    private final LostUses lostUses;

    UseCounts(VolumeStore store, LostUses lostUses) {
        this.store = store;
        this.lostUses = lostUses;
    }

    /** @throws VolumeException if the count cannot be written (the previous one then stays) */
    void record(String name, String id, int count) throws VolumeException {
        try {
            store.writeActiveMount(name, id, count);
            lostUses.counted(name, id);
        } catch (IOException e) {
            throw new VolumeException("cannot record the use of volume " + name + " by mount ID " + id + " (" + e
                    + "); nothing was changed: check free space and permissions in " + store.volumeDir(name)
                    + " and retry", e);
        }
    }

    /** @throws VolumeException if the count cannot be deleted (it then stays) */
    void forget(String name, String id) throws VolumeException {
        try {
            store.deleteActiveMount(name, id);
            lostUses.ended(name, id);
        } catch (IOException e) {
            throw new VolumeException("cannot record the end of mount ID " + id + " of volume " + name + " (" + e
                    + "); nothing was changed: check permissions in " + store.activeMountsDir(name) + " and retry", e);
        }
    }

    /** Forgets the uses of {@code ids}, e.g. as lost. @throws VolumeException at the first that cannot be deleted */
    void drop(String name, Set<String> ids) throws VolumeException {
        for (String id : List.copyOf(ids)) {
            forget(name, id);
        }
    }

    /**
     * Counts {@code id} again after its last Unmount failed to unmount the volume.
     *
     * @throws VolumeException saying that the volume stays mounted, if the count cannot be written either
     */
    void restore(String name, String id) throws VolumeException {
        try {
            store.writeActiveMount(name, id, 1);
            lostUses.counted(name, id);
        } catch (IOException e) {
            LOG.error("Volume {} stays mounted but its use by mount ID {} could not be recorded again: {}", name, id,
                    e.toString());
            throw new VolumeException("cannot unmount volume " + name + ", and recording that mount ID " + id
                    + " still uses it failed too (" + e + "); it stays mounted; remove the volume once no "
                    + "container uses it", e);
        }
    }
}
