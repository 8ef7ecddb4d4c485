package org.dockerontop.overlay.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An exclusive flock(2) on a directory or on a lock file, held until {@link #close()}.
 * The lock belongs to the open file description behind one close-on-exec descriptor: closing it releases the
 * lock, and so does the death of the process (a kill -9 never leaves anything locked, and child processes never
 * inherit it). Two locks on one inode conflict even within one process, whatever path reaches it (a symbolic
 * link, a bind mount).
 *
 * <p>Why flock rather than {@link java.nio.channels.FileChannel#lock()}: FileChannel locks are fcntl (POSIX
 * record) locks, which belong to the process — any close of any descriptor of the file in the process drops
 * them, and two in one JVM never conflict in the kernel — and an exclusive one needs a writable channel, which
 * a directory cannot have. flock locks a directory as it is, with no lock file, and is what the per-volume locks
 * and the original Go docker-on-top use. The two kinds do not see each other, so every lock on one inode must be
 * a flock.
 */
public final class Flock implements AutoCloseable {
    private static final Path PROC_LOCKS = Path.of("/proc/locks");

    private final Path path;
    private int fd;

    private Flock(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Locks directory {@code dir}, waiting for as long as another holder keeps it.
     *
     * @throws MountException with the errno of open(2) (e.g. ENOENT, ENOTDIR) or flock(2)
     */
    public static Flock lockDirectory(Path dir) throws MountException {
        return lock(dir, Syscalls.openDirectory(dir), Syscalls.LOCK_EX);
    }

    /**
     * Locks directory {@code dir} unless someone else holds it.
     *
     * @return the lock, or empty if another open file (in this or another process) holds it
     * @throws MountException with the errno of open(2) (e.g. ENOENT, ENOTDIR) or flock(2)
     */
    public static Optional<Flock> tryLockDirectory(Path dir) throws MountException {
        return Optional.ofNullable(lock(dir, Syscalls.openDirectory(dir), Syscalls.LOCK_EX | Syscalls.LOCK_NB));
    }

    /**
     * Locks the lock file {@code file} (a regular file, created 0600 if missing) unless someone else holds it.
     * Lock files may be deleted by their holder ({@link #deleteAndClose()}), so the lock only counts if, once
     * granted, {@code file} still names the locked inode; otherwise this tries again on the file now there.
     *
     * @return the lock, or empty if another open file (in this or another process) holds it
     * @throws MountException with the errno of open(2) (e.g. ENOENT for a missing directory, ELOOP for a symbolic
     *                        link) or flock(2)
     */
    public static Optional<Flock> tryLockFile(Path file) throws MountException {
        while (true) {
            Flock lock = lock(file, Syscalls.openLockFile(file), Syscalls.LOCK_EX | Syscalls.LOCK_NB);
            if (lock == null) {
                return Optional.empty();
            }
            if (lock.stillNamesTheLockedFile()) {
                return Optional.of(lock);
            }
            lock.close(); // its holder deleted it meanwhile: the lock that counts is on the file there now
        }
    }

    /**
     * Locks the lock file {@code file} as {@link #tryLockFile} does, waiting for as long as another holder
     * keeps it.
     *
     * @throws MountException with the errno of open(2) or flock(2)
     */
    public static Flock lockFile(Path file) throws MountException {
        while (true) {
            Flock lock = lock(file, Syscalls.openLockFile(file), Syscalls.LOCK_EX);
            if (lock.stillNamesTheLockedFile()) {
                return lock;
            }
            lock.close();
        }
    }

    /** @return the lock, or null if LOCK_NB found it held; closes {@code fd} unless it returns a lock */
    private static Flock lock(Path path, int fd, int operation) throws MountException {
        try {
            Syscalls.flock(fd, operation);
        } catch (MountException e) {
            Syscalls.close(fd);
            if (e.errno() == Syscalls.EAGAIN && (operation & Syscalls.LOCK_NB) != 0) {
                return null;
            }
            throw new MountException(e.errno(), "cannot lock " + path);
        }
        return new Flock(path, fd);
    }

    private boolean stillNamesTheLockedFile() throws MountException {
        Map<String, Object> locked;
        try {
            // /proc/self/fd/N stats the open file itself, even once unlinked
            locked = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:dev,ino");
        } catch (IOException e) {
            close();
            throw new MountException(0, "cannot stat the lock file " + path + ": " + e);
        }
        try {
            Map<String, Object> current = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            return Objects.equals(locked.get("dev"), current.get("dev")) && Objects.equals(locked.get("ino"), current.get("ino"));
        } catch (IOException e) {
            return false; // deleted: try again on a new one
        }
    }

    /**
     * The process holding a flock on {@code path}, as the kernel lists it in /proc/locks — the truth, unlike a
     * pid file. For messages only: the holder may have exited by the time the caller looks.
     *
     * @return the pid (in this process's pid namespace) of the process that took the lock, or empty if none is
     * listed or it cannot be told
     */
    public static OptionalLong holder(Path path) {
        try {
            long dev = ((Number) Files.getAttribute(path, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(path, "unix:ino")).longValue();
            return holder(Files.readAllLines(PROC_LOCKS), major(dev), minor(dev), ino);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Finds the holder of a flock in /proc/locks lines such as {@code 1: FLOCK  ADVISORY  WRITE 20985 fe:00:2146516 0 EOF}
     * (device major and minor in hex, inode in decimal). Waiters, listed as {@code 1: -> FLOCK ...}, hold nothing.
     */
    static OptionalLong holder(List<String> procLocks, long major, long minor, long ino) {
        for (String line : procLocks) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !f[1].equals("FLOCK")) {
                continue;
            }
            String[] id = f[5].split(":");
            try {
                if (id.length == 3 && Long.parseLong(id[0], 16) == major && Long.parseLong(id[1], 16) == minor
                        && Long.parseLong(id[2]) == ino) {
                    long pid = Long.parseLong(f[4]);
                    if (pid > 0) {
                        return OptionalLong.of(pid);
                    }
                }
            } catch (NumberFormatException e) {
                // a line in a format this does not know: not ours
            }
        }
        return OptionalLong.empty();
    }

    /** The major number of a dev_t as glibc's gnu_dev_major decodes it. */
    static long major(long dev) {
        return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & 0xfffff000L);
    }

    /** The minor number of a dev_t as glibc's gnu_dev_minor decodes it. */
    static long minor(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
    }

    /** The locked directory or lock file, as it was given. */
    public Path path() {
        return path;
    }

    /**
     * Deletes the lock file while still holding it, then releases it: whoever was waiting on it finds it gone and
     * locks a new one instead. Only for locks from {@link #lockFile}/{@link #tryLockFile}.
     *
     * @throws IOException if the file cannot be deleted (the lock is released all the same)
     */
    public synchronized void deleteAndClose() throws IOException {
        try {
            if (fd >= 0) {
                Files.deleteIfExists(path);
            }
        } finally {
            close();
        }
    }

    /** Releases the lock (closing its descriptor); later calls do nothing. */
    @Override
    public synchronized void close() {
        Syscalls.close(fd);
        fd = -1;
    }
}
