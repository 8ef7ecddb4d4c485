package org.dockerontop.plugin.volume;

import org.dockerontop.plugin.mount.KernelOverlayStrategy;
import org.dockerontop.plugin.mount.Layers;
import org.dockerontop.plugin.mount.MountResult;
import org.dockerontop.plugin.mount.MountStrategy;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** The real kernel overlay strategy, with failures injected on demand and calls counted. */
final class FaultyStrategy implements MountStrategy {
    private final MountStrategy real = new KernelOverlayStrategy();
    volatile boolean failMount;
    volatile boolean failUnmount;
    /** Runs when an injected unmount failure happens (to inject a second fault there). */
    volatile Runnable onFailedUnmount = () -> { };
    final AtomicInteger mounts = new AtomicInteger();
    final AtomicInteger unmounts = new AtomicInteger();

    @Override
    public String name() {
        return "overlay";
    }

    @Override
    public MountResult mount(Layers layers) throws VolumeException {
        if (failMount) {
            throw new VolumeException("injected mount failure");
        }
        MountResult r = real.mount(layers);
        mounts.incrementAndGet();
        return r;
    }

    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        if (failUnmount) {
            onFailedUnmount.run();
            throw new VolumeException("injected unmount failure: " + mountpoint + " is busy");
        }
        real.unmount(mountpoint);
        unmounts.incrementAndGet();
    }
}
