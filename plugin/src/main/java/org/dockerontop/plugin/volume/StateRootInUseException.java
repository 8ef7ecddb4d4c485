package org.dockerontop.plugin.volume;

import java.nio.file.Path;
import java.util.OptionalLong;

/** Another daemon holds the lock on the state directory this daemon was told to use. */
public final class StateRootInUseException extends VolumeException {
    StateRootInUseException(Path root, OptionalLong holder) {
        super("another docker-on-top daemon" + (holder.isPresent() ? " (pid " + holder.getAsLong() + ")" : "")
                + " is already using the state directory " + root + ": stop it first (e.g. systemctl stop docker-on-top),"
                + " or give this daemon its own --root (two daemons on one state directory would corrupt it)");
    }
}
