package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;

import java.nio.file.Path;

/**
 * The real {@link KernelOverlayStrategy}, plus refusals and failures on demand: the faulty
 * collaborator {@link AutoStrategy}'s tests need to show which kernel outcomes are retried with FUSE.
 */
final class OnDemandKernelStrategy implements MountStrategy {
    private final KernelOverlayStrategy kernel = new KernelOverlayStrategy();
    volatile boolean refuse;
    volatile boolean fail;
    volatile int mounts;

    @Override
    public String name() {
        return kernel.name();
    }

    @Override
    public MountResult mount(Layers layers) throws VolumeException {
        mounts++;
        if (fail) {
            throw new VolumeException("injected failure");
        }
        if (refuse) {
            throw new StrategyUnavailableException("injected refusal");
        }
        return kernel.mount(layers);
    }

    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        kernel.unmount(mountpoint);
    }
}
