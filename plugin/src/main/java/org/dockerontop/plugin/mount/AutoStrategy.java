package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The kernel overlay where it works, the FUSE overlay where the kernel refuses: each mount first asks
 * the kernel strategy and falls back only on {@link StrategyUnavailableException} (the kernel's
 * refusal, e.g. an upper directory on overlayfs). Any other failure is real and is not retried with
 * FUSE, so a broken volume is reported as broken rather than silently served another way.
 *
 * <p>Nothing is cached: a refusal depends on the layers (where the upper lives) and on the host at
 * that moment, and a refused kernel attempt costs one failed mount syscall (about a millisecond),
 * which is noise next to starting a FUSE server.
 */
public final class AutoStrategy implements MountStrategy {
    public static final String NAME = "auto";
    private static final Logger log = LoggerFactory.getLogger(AutoStrategy.class);

    private final MountStrategy kernel;
    private final MountStrategy fuse;

    public AutoStrategy(MountStrategy kernel, MountStrategy fuse) {
        this.kernel = kernel;
        this.fuse = fuse;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * @return the kernel's result, or {@code MountResult("fuse", "kernel overlay refused: REASON")}
     * @throws StrategyUnavailableException if the kernel refuses and FUSE cannot work either (both reasons given)
     * @throws VolumeException              if the kernel strategy fails for another reason, or the FUSE mount fails
     */
    @Override
    public MountResult mount(Layers layers) throws VolumeException {
        StrategyUnavailableException refusal;
        try {
            return kernel.mount(layers);
        } catch (StrategyUnavailableException e) {
            refusal = e;
        }
        log.info("kernel overlay refused for {} ({}); mounting it with FUSE", layers.mountpoint(), refusal.getMessage());
        try {
            fuse.mount(layers);
        } catch (StrategyUnavailableException e) {
            throw new StrategyUnavailableException("cannot mount " + layers.mountpoint() + ": the kernel overlay was refused ("
                    + refusal.getMessage() + ") and FUSE cannot be used either (" + e.getMessage() + ")", e);
        }
        return new MountResult(fuse.name(), "kernel overlay refused: " + refusal.getMessage());
    }

    /**
     * Unmounts with the strategy that made the mount found at {@code mountpoint} (a volume mounted by
     * {@code auto} may be either kind). With nothing mounted, stops any FUSE server left behind.
     *
     * @throws VolumeException as the strategy's unmount does, or if a foreign mount sits there
     */
    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        Optional<ExistingMounts.ExistingMount> existing = ExistingMounts.find(mountpoint);
        if (existing.isEmpty()) {
            fuse.unmount(mountpoint);
            return;
        }
        String strategy = existing.get().strategy();
        if ("overlay".equals(strategy)) {
            kernel.unmount(mountpoint);
        } else if (fuse.name().equals(strategy)) {
            fuse.unmount(mountpoint);
        } else {
            throw new VolumeException(mountpoint + " holds a " + existing.get().fsType()
                    + " mount that docker-on-top did not make; it was left mounted");
        }
    }
}
