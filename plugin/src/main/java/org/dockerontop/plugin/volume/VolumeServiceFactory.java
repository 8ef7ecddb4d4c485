package org.dockerontop.plugin.volume;

import org.dockerontop.plugin.mount.KernelOverlayStrategy;
import org.dockerontop.plugin.mount.Layers;
import org.dockerontop.plugin.mount.MountResult;
import org.dockerontop.plugin.mount.MountStrategy;

import java.nio.file.Path;

/** Opens the volume service on a state directory. */
public final class VolumeServiceFactory {
    private VolumeServiceFactory() {
    }

    /**
     * Opens the volumes kept under {@code root} (created if missing), repairing leftovers of an
     * unclean stop where that is safe.
     *
     * @param root            state directory, e.g. /var/lib/docker-on-top
     * @param defaultStrategy overlay, fuse or auto: used by volumes created without {@code -o strategy=}
     * @throws VolumeException if the state directory cannot be created or read, or the strategy is unknown
     */
    public static VolumeService open(Path root, String defaultStrategy) throws VolumeException {
        if (defaultStrategy == null || !VolumeOptions.STRATEGIES.contains(defaultStrategy)) {
            throw new VolumeException("unknown strategy \"" + defaultStrategy + "\": use auto, overlay or fuse");
        }
        OverlayVolumeService service = new OverlayVolumeService(new VolumeStore(root), defaultStrategy, strategies());
        service.recover();
        return service;
    }

    /** The strategies by name: each is one constructor call, shared by all volumes. */
    static StrategyResolver strategies() {
        MountStrategy overlay = new KernelOverlayStrategy();
        MountStrategy fuse = notBuiltYet("fuse");    // -> new FuseProcessStrategy()
        MountStrategy auto = notBuiltYet("auto");    // -> new AutoStrategy(overlay, fuse)
        return name -> switch (name) {
            case "overlay" -> overlay;
            case "fuse" -> fuse;
            case "auto" -> auto;
            default -> throw new VolumeException("unknown strategy \"" + name + "\": use auto, overlay or fuse");
        };
    }

    /** A strategy this build does not have yet: every use is a clear error, never a silent switch. */
    private static MountStrategy notBuiltYet(String name) {
        return new MountStrategy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public MountResult mount(Layers layers) throws VolumeException {
                throw unavailable();
            }

            @Override
            public void unmount(Path mountpoint) throws VolumeException {
                throw unavailable();
            }

            private VolumeException unavailable() {
                return new VolumeException("the " + name + " mount strategy is not available in this build of "
                        + "docker-on-top: create the volume with -o strategy=overlay, or start the daemon with "
                        + "--strategy overlay");
            }
        };
    }
}
