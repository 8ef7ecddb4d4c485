package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.Flock;
import org.dockerontop.overlay.mount.MountException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one-daemon-per-state-directory guarantee: an exclusive flock on the state directory itself, taken
 * before anything under it is read or repaired and held for the daemon's whole life. Two daemons on one
 * directory would each count, mount, unmount and delete the same volumes; whichever starts second is refused.
 *
 * <p>The directory itself is locked, not a lock file in it: the original Go docker-on-top takes every entry of
 * the root for a volume (it would list a {@code .lock} file and fail its start-up reset on it), so the on-disk
 * layout gains nothing. The lock dies with the process — a kill -9 leaves nothing to clean up — and nothing
 * records the holder's pid: a message names it from /proc/locks, so a stale pid can never block a start.
 * It is a flock, like the per-volume locks ({@link VolumeStore#lock}); see {@link Flock} for why not
 * an fcntl lock. The original Go daemon takes no such lock, so it is not kept out by this one.
 */
public final class StateRootLock implements AutoCloseable {
    private final Path root;
    private final Flock lock;

    private StateRootLock(Path root, Flock lock) {
        this.root = root;
        this.lock = lock;
    }

    /**
     * Creates {@code root} if missing and locks it, without waiting.
     *
     * @throws StateRootInUseException if another daemon (or another open lock in this process) holds it; the
     *                                 message names the directory and, when the kernel tells, the holder's pid
     * @throws VolumeException         if the directory cannot be created, opened or locked
     */
    public static StateRootLock acquire(Path root) throws VolumeException {
        Path dir = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VolumeException("cannot create the state directory " + dir + ": " + e, e);
        }
        Optional<Flock> lock;
        try {
            lock = Flock.tryLockDirectory(dir);
        } catch (MountException e) {
            throw new VolumeException("cannot lock the state directory " + dir + ": " + e.getMessage(), e);
        }
        if (lock.isEmpty()) {
            throw new StateRootInUseException(dir, Flock.holder(dir));
        }
        return new StateRootLock(dir, lock.get());
    }

    /** The locked state directory (absolute). */
    public Path root() {
        return root;
    }

    /**
     * Releases the lock. A daemon never calls this on its way out: the lock goes with the process, after the
     * last request that could still touch the state.
     */
    @Override
    public void close() {
        lock.close();
    }
}
