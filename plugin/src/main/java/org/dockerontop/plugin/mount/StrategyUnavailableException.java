package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;

/**
 * A strategy cannot work for these layers on this host (e.g. the kernel refuses an overlay mount
 * with EPERM, ENODEV or EINVAL because the upper directory sits on an overlayfs, or /dev/fuse is
 * missing). {@code auto} falls back to another strategy on this exception and reports its message
 * as the reason; any other {@link VolumeException} is a real failure and is not retried.
 */
public class StrategyUnavailableException extends VolumeException {
    public StrategyUnavailableException(String message) {
        super(message);
    }

    public StrategyUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
