package org.dockerontop.plugin.cli;

import org.dockerontop.plugin.volume.VolumeException;
import org.dockerontop.plugin.volume.VolumeService;

import java.nio.file.Path;

/**
 * How the daemon opens its volumes: {@code VolumeServiceFactory::open} in production; tests of the
 * daemon's start-up and shutdown pass a service they control.
 */
@FunctionalInterface
public interface VolumeServiceOpener {
    /** @see org.dockerontop.plugin.volume.VolumeServiceFactory#open(Path, String) */
    VolumeService open(Path root, String defaultStrategy) throws VolumeException;
}
