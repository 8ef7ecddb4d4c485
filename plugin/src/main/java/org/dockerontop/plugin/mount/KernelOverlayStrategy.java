package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.overlay.mount.Syscalls;
import org.dockerontop.plugin.volume.VolumeException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The kernel's overlayfs: the fast path. A refusal by the kernel that depends on the host or on where
 * the layers live (EPERM in a user namespace or under a restrictive LSM, ENODEV without overlayfs,
 * EINVAL/EOPNOTSUPP when the upper's filesystem cannot serve as an upper, e.g. an overlayfs in a nested
 * container) is a {@link StrategyUnavailableException}, which {@code auto} answers by using FUSE.
 */
public final class KernelOverlayStrategy implements MountStrategy {
    /**
     * How long the kernel may take to make an overlay (it reads the lower layer) before the Mount gives up on it
     * (see {@link BoundedMount}): it takes milliseconds unless the base's file system hangs.
     */
    static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(10);
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int ENOSYS = 38;
    private static final Set<Integer> REFUSALS = Set.of(EPERM, Syscalls.ENODEV, Syscalls.EINVAL,
            Syscalls.EOPNOTSUPP, ENOSYS);

    private final Duration mountTimeout;

    public KernelOverlayStrategy() {
        this(MOUNT_TIMEOUT);
    }

    /** @param mountTimeout how long a mount may take before it is given up on (see {@link BoundedMount}) */
    public KernelOverlayStrategy(Duration mountTimeout) {
        this.mountTimeout = mountTimeout;
    }

    @Override
    public String name() {
        return "overlay";
    }

    /**
     * @throws StrategyUnavailableException if the kernel refuses overlay mounts of these layers here
     * @throws VolumeException              for any other failure (e.g. a layer vanished, EACCES); also if the kernel
     *                                      does not make the overlay within the mount timeout (the base's file
     *                                      system hangs: the overlay is then never attached), or an earlier mount
     *                                      at this mountpoint given up on so has not returned yet
     */
    @Override
    public MountResult mount(Layers layers) throws VolumeException {
        Path volumeDir = layers.mountpoint().getParent();
        String source = "docker-on-top_" + (volumeDir != null ? volumeDir.getFileName() : "volume");
        Optional<Instant> earlier = BoundedMount.givenUpAt(layers.mountpoint());
        if (earlier.isPresent()) {
            throw new VolumeException("an earlier overlay mount over the base directory " + layers.lower()
                    + ", given up on " + Duration.between(earlier.get(), Instant.now()).toSeconds()
                    + " s ago, has not returned yet: the network or FUSE file system the base lies on still hangs. "
                    + "Check that ls " + layers.lower() + " answers, then retry");
        }
        try {
            BoundedMount.run(layers.mountpoint(), mountTimeout, attach -> KernelOverlayMount.mount(layers.lower(),
                    layers.upper(), layers.work(), layers.mountpoint(), source, layers.volatileMount(), attach));
            return new MountResult("overlay", "kernel overlayfs");
        } catch (TimeoutException e) {
            throw new VolumeException("the kernel's overlay mount over the base directory " + layers.lower()
                    + " gave no answer within " + mountTimeout.toSeconds() + " s: the network or FUSE file system "
                    + "the base lies on hangs (it stopped answering after the base was looked at). Nothing was "
                    + "mounted, and the mount still waiting in the kernel will not be. Check that ls " + layers.lower()
                    + " answers, then retry", e);
        } catch (MountException e) {
            if (REFUSALS.contains(e.errno())) {
                throw new StrategyUnavailableException("the kernel refused an overlay mount here: " + e.getMessage()
                        + ". Use the FUSE overlay instead (-o strategy=fuse or auto, or the daemon's --strategy)", e);
            }
            if (e.errno() == EACCES) {
                throw new VolumeException(e.getMessage() + ": check the permissions of the base directory "
                        + layers.lower() + " and of the state directory", e);
            }
            throw new VolumeException(e.getMessage(), e);
        }
    }

    /**
     * @throws VolumeException if the mount is busy (it then stays mounted) or cannot be unmounted
     */
    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        try {
            KernelOverlayMount.unmount(mountpoint);
        } catch (MountException e) {
            if ((e.errno() == Syscalls.EINVAL || e.errno() == Syscalls.ENOENT) && !isMounted(mountpoint)) {
                return; // already gone: the goal of unmount is reached
            }
            if (e.errno() == Syscalls.EBUSY) {
                throw new VolumeException(mountpoint + " is busy: a process still has files open in it or uses "
                        + "it as its working directory (find it with: fuser -vm " + mountpoint + "); stop it and "
                        + "retry", e);
            }
            throw new VolumeException(e.getMessage(), e);
        }
    }

    private static boolean isMounted(Path mountpoint) {
        try {
            return MountTable.read().isMountpoint(mountpoint);
        } catch (IOException e) {
            return true;
        }
    }
}
