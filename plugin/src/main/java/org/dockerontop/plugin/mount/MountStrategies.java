package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;


/**
 * The strategies a daemon offers, by the names users pass to {@code --strategy} and
 * {@code -o strategy=}: {@code overlay} (the kernel), {@code fuse}, and {@code auto} (kernel first,
 * FUSE where the kernel refuses). One instance per daemon; the strategies are stateless and shared
 * by all volumes.
 */
public final class MountStrategies {

    private final MountStrategy overlay;
    private final MountStrategy fuse;
    private final MountStrategy auto;

    /** @param kernel the kernel overlay strategy (its name must be {@code overlay}) */
    public MountStrategies(MountStrategy kernel) {
        this(kernel, new FuseProcessStrategy());
    }

    public MountStrategies(MountStrategy kernel, MountStrategy fuse) {
        this.overlay = kernel;
        this.fuse = fuse;
        this.auto = new AutoStrategy(kernel, fuse);
    }

    /**
     * @param name auto, overlay or fuse
     * @throws VolumeException naming the accepted values if {@code name} is none of them
     */
    public MountStrategy byName(String name) throws VolumeException {
        return switch (name == null ? "" : name) {
            case "auto" -> auto;
            case "overlay" -> overlay;
            case "fuse" -> fuse;
            default -> throw new VolumeException("unknown strategy '" + name + "': use one of auto, overlay, fuse");
        };
    }
}
