package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** What the volume service does to a volume's mountpoint besides asking a strategy to (un)mount it. */
final class Mountpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Mountpoints.class);

    private Mountpoints() {
    }

    /**
     * Removes mountpoint/ (only if it is empty and nothing is mounted there), workdir/ (recursively, only if
     * nothing is mounted at mountpoint/) and the record of the mounted base ({@link MountedBase}). Failures are
     * logged: leftover directories are harmless, the next Mount reuses them and start-up removes them.
     */
    static void removeMountDirectories(VolumeStore store, String name) {
        Path mp = store.mountpoint(name);
        Path work = store.workdir(name);
        try {
            if (MountState.mountTable().isMountpoint(mp)) {
                return;
            }
            MountedBase.forget(store, name);
            if (Files.isDirectory(mp, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(mp)) {
                    if (ds.iterator().hasNext()) {
                        LOG.warn("Volume {}: {} is not mounted but not empty either; leaving it", name, mp);
                        return;
                    }
                }
                Files.delete(mp);
            }
            org.dockerontop.overlay.format.Trees.delete(work);
        } catch (IOException | VolumeException e) {
            LOG.warn("Volume {}: cannot remove {} / {}: {}; harmless, the next mount reuses them", name, mp, work,
                    e.toString());
        }
    }

    /** Detaches whatever is mounted at {@code mp} (MNT_DETACH); failures are logged. */
    static void detach(String name, Path mp) {
        try {
            KernelOverlayMount.detach(mp);
            LOG.info("Volume {}: detached the mount at {}", name, mp);
        } catch (MountException e) {
            LOG.warn("Volume {}: cannot detach {}: {}", name, mp, e.getMessage());
        }
    }

    /**
     * Removes a mount that no longer serves so that the volume can be mounted afresh: a FUSE mount is detached
     * and its leftover server stopped; anything else is detached. The upper is untouched: no change is lost.
     *
     * @throws VolumeException if a dead FUSE mount cannot be detached or its server cannot be stopped
     */
    static void clearDeadMount(String name, Path mp, MountState state) throws VolumeException {
        if (state.entry().isFuse()) {
            ExistingMounts.cleanUp(mp);
        } else {
            detach(name, mp);
        }
    }
}
