package org.dockerontop.plugin.volume;

import org.dockerontop.plugin.mount.MountStrategy;

/** Finds the {@link MountStrategy} for a name users give with {@code --strategy} or {@code -o strategy=}. */
@FunctionalInterface
public interface StrategyResolver {
    /**
     * @param name overlay, fuse or auto
     * @throws VolumeException if no such strategy is available, saying what to use instead
     */
    MountStrategy forName(String name) throws VolumeException;
}
