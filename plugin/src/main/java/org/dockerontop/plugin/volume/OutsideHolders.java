package org.dockerontop.plugin.volume;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Who holds a volume's mount besides the plugin (see {@link org.dockerontop.overlay.mount.MountHolders}): a copy of
 * it in a container's mount namespace, a bind mount. Asked before anything that would pull the mount or its files
 * from under them: unmounting it at a last Unmount, deleting the volume, discarding a volatile volume's changes,
 * dropping uses as lost.
 */
final class OutsideHolders {
    private static final long RECHECK_MILLIS = 100;

    private final HolderLookup lookup;
    private final int rechecks;

    /**
     * @param settleTime how long holders of a mount are looked for again before they count (see {@link #lasting})
     */
    OutsideHolders(HolderLookup lookup, Duration settleTime) {
        this.lookup = lookup;
        this.rechecks = (int) (settleTime.toMillis() / RECHECK_MILLIS);
    }

    /**
     * The holders of a mount that are still there after a short while (looked for again every
     * {@link #RECHECK_MILLIS} ms for the settle time given to the constructor). A container being started
     * anywhere on the host holds a copy of every host mount for a moment (runc's new mount namespace is a copy of the
     * host's until its pivot_root), which must not leave a volume mounted, refuse its removal or keep a volatile
     * volume from discarding. Only lookups with consequences wait; a mount that is really held costs them that wait.
     */
    List<String> lasting(MountState state) {
        List<String> holders = now(state);
        for (int i = 0; i < rechecks && !holders.isEmpty(); i++) {
            try {
                Thread.sleep(RECHECK_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return holders;
            }
            holders = now(state);
        }
        return holders;
    }

    /**
     * The holders of a mount besides our own (see {@link org.dockerontop.overlay.mount.MountHolders}). If they cannot
     * be found out, the answer is one holder that says so: deleting or discarding files under an unknown user cannot
     * be undone, while a Remove refused or a volatile mount left for later can simply be retried.
     */
    List<String> now(MountState state) {
        try {
            return lookup.others(state.entry());
        } catch (IOException e) {
            return List.of("something the plugin cannot see (looking for other holders failed: " + e.getMessage()
                    + "; check that /proc is mounted and readable)");
        }
    }

    /**
     * Whether a volume's mount is live and nothing outside the plugin holds it, so that no container uses it: then
     * the uses {@link LostUses#mayBeLost} ended without an Unmount. A dead mount is still held by the containers
     * that used it, and a holder lookup that fails counts as a holder.
     */
    boolean noContainerHolds(MountState state) {
        return state.mounted() && !state.dead() && !state.foreign() && now(state).isEmpty();
    }
}
