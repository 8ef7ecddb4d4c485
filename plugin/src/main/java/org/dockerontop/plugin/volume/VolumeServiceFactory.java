package org.dockerontop.plugin.volume;

import org.dockerontop.plugin.mount.KernelOverlayStrategy;
import org.dockerontop.plugin.mount.MountStrategies;

import java.nio.file.Path;

/** Opens the volume service on a state directory. */
public final class VolumeServiceFactory {
    private VolumeServiceFactory() {
    }

    /**
     * Opens the volumes kept under {@code root} (created if missing), repairing leftovers of an
     * unclean stop where that is safe. Uses whose Unmount dockerd will never send are dropped at start-up and by
     * later Mounts and Unmounts (see {@link LostUses}).
     *
     * @param root            state directory, e.g. /var/lib/docker-on-top
     * @param defaultStrategy overlay, fuse or auto: used by volumes created without {@code -o strategy=}
     * @throws VolumeException if the state directory cannot be created or read, or the strategy is unknown
     */
    public static VolumeService open(Path root, String defaultStrategy) throws VolumeException {
        if (defaultStrategy == null || !VolumeOptions.STRATEGIES.contains(defaultStrategy)) {
            throw new VolumeException("unknown strategy \"" + defaultStrategy + "\": use auto, overlay or fuse");
        }
        OverlayVolumeService service = new OverlayVolumeService(new VolumeStore(root), defaultStrategy, strategies(),
                HolderLookup.PROC, new LostUses(ContainerEngine::isVisible, System::nanoTime, LostUses.GRACE),
                OverlayVolumeService.HOLDER_SETTLE_TIME);
        service.recover(ContainerEngine::isVisible);
        return service;
    }

    /** The strategies by name: stateless and shared by all volumes. */
    static StrategyResolver strategies() {
        return new MountStrategies(new KernelOverlayStrategy())::byName;
    }
}
