package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.Flock;

/**
 * An exclusive flock on a volume's activemounts/ directory, held from {@link VolumeStore#lock} until
 * {@link #close()}. Closing the descriptor releases the lock; so does the death of the process, which is
 * why a kill -9 never leaves a volume locked.
 */
public final class VolumeLock implements AutoCloseable {
    private final Flock lock;

    VolumeLock(Flock lock) {
        this.lock = lock;
    }

    @Override
    public void close() {
        lock.close();
    }
}
