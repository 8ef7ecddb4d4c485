package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;

import java.nio.file.Path;

/**
 * One way of presenting {@link Layers} as a merged copy-on-write view: the kernel's overlayfs,
 * the userspace FUSE overlay, or {@code auto} (kernel first, FUSE where the kernel refuses).
 * All strategies read and write the same upper format, so a volume may change strategy between uses.
 */
public interface MountStrategy {

    /** The name users select with {@code --strategy} / {@code -o strategy=}: overlay, fuse or auto. */
    String name();

    /**
     * Mounts {@code layers} at {@code layers.mountpoint()}, which exists and is empty.
     * On failure nothing is left mounted.
     *
     * @throws VolumeException with a message saying why the mount was refused and what to do
     */
    MountResult mount(Layers layers) throws VolumeException;

    /**
     * Unmounts whatever this strategy mounted at {@code mountpoint} (and stops any process serving it).
     * On failure (e.g. the mount is busy) the mount stays as it was.
     *
     * @throws VolumeException if the mountpoint cannot be unmounted
     */
    void unmount(Path mountpoint) throws VolumeException;
}
