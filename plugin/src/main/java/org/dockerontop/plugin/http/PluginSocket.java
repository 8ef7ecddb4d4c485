package org.dockerontop.plugin.http;

import org.dockerontop.overlay.mount.Flock;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The listening unix socket file of the daemon, e.g. /run/docker/plugins/docker-on-top.sock.
 *
 * <p>The socket is root-only from the first instant: it is bound inside a fresh 0700 directory next to
 * its final path, made 0600, and only then renamed into place (rename is atomic and replaces a stale file).
 * A socket file that already exists is replaced only when nothing answers on it; it is removed again by
 * {@link #close()}, but only while it is still the file this daemon created.
 *
 * <p>Each of those check-then-act steps holds a lock file beside the socket, {@code NAME.sock.lock}: daemons
 * starting together (even with different state directories) would otherwise both find the path free or stale and
 * both rename their socket there — the later rename wins and the other daemon would go on listening on a socket
 * nobody can reach; one could also sweep away the other's private directory as a crashed start's leftover, and a
 * stopping daemon could delete its successor's socket. Once a daemon has renamed its socket into place it
 * listens, so the next daemon's check sees it answer and refuses. The lock is held for milliseconds, never while
 * serving, and the file is deleted as the lock is released (dockerd's discovery ignores regular files in
 * /run/docker/plugins anyway). It is a file, not a flock on the directory, because the directory may be a
 * daemon's state directory, which that daemon keeps locked for its whole life.
 */
public final class PluginSocket implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(PluginSocket.class);
    private static final int BACKLOG = 128;
    private static final long QUIET_WAIT_MILLIS = 2000;

    private final Path path;
    private final ServerSocketChannel channel;
    private final Object fileKey;

    private PluginSocket(Path path, ServerSocketChannel channel, Object fileKey) {
        this.path = path;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    /**
     * Creates the socket at {@code path} (creating missing parent directories) and starts listening.
     *
     * @throws SocketInUseException if something answers on an existing socket at {@code path}
     * @throws IOException          if {@code path} exists and is not a socket, or the socket cannot be created
     */
    public static PluginSocket bind(Path path) throws IOException {
        Path socket = path.toAbsolutePath().normalize();
        Path dir = Objects.requireNonNull(socket.getParent(), "socket path has no directory");
        Files.createDirectories(dir);
        Flock lock = lockBeside(socket);
        try {
            return bindLocked(socket, dir);
        } finally {
            release(lock);
        }
    }

    private static PluginSocket bindLocked(Path socket, Path dir) throws IOException {
        boolean stale = checkExisting(socket);
        String tempPrefix = "." + socket.getFileName() + ".";
        removeTempDirectoriesOfCrashedStarts(dir, tempPrefix);

        Path tempDir = Files.createTempDirectory(dir, tempPrefix,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tempSocket = tempDir.resolve("s");
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(tempSocket), BACKLOG);
            Files.setPosixFilePermissions(tempSocket, PosixFilePermissions.fromString("rw-------"));
            Object fileKey = Files.readAttributes(tempSocket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            // rename(2) atomically replaces the stale socket: dockerd never sees the path missing or open to others
            Files.move(tempSocket, socket, StandardCopyOption.ATOMIC_MOVE);
            if (stale) {
                log.warn("replaced the stale socket {} left by a daemon that did not stop cleanly", socket);
            }
            return new PluginSocket(socket, channel, fileKey);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(tempSocket);
            throw e;
        } finally {
            Files.deleteIfExists(tempDir);
        }
    }

    /**
     * Locks {@code socket}'s lock file against other daemons binding or removing a socket there, waiting for them:
     * each holds it for milliseconds. A wait longer than {@link #QUIET_WAIT_MILLIS} is logged with the holder, so
     * that a stuck one can be found.
     */
    private static Flock lockBeside(Path socket) throws IOException {
        Path file = socket.resolveSibling(socket.getFileName() + ".lock");
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIET_WAIT_MILLIS);
            do {
                Optional<Flock> lock = Flock.tryLockFile(file);
                if (lock.isPresent()) {
                    return lock.get();
                }
                Thread.sleep(5);
            } while (System.nanoTime() < deadline);
            OptionalLong holder = Flock.holder(file);
            log.info("waiting for {} to finish creating or removing the socket {} (it holds {})",
                    holder.isPresent() ? "process " + holder.getAsLong() : "another process", socket, file);
            return Flock.lockFile(file);
        } catch (MountException e) {
            if (e.errno() == Syscalls.ENOENT) {
                throw new NoSuchFileException(file.toString()); // for close(): the socket went with its directory
            }
            throw new IOException("cannot lock " + file + " against other daemons serving on " + socket + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to lock " + file);
        }
    }

    private static void release(Flock lock) {
        try {
            lock.deleteAndClose();
        } catch (IOException e) {
            log.warn("could not remove {}: {}", lock.path(), e.toString());
        }
    }

    /** @return true if a stale socket file is in the way (and will be replaced) */
    private static boolean checkExisting(Path socket) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        }
        if (!attributes.isOther()) {
            throw new FileAlreadyExistsException(socket.toString(), null,
                    "exists and is not a socket; move it away or choose another --name/--socket");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            throw new SocketInUseException(socket);
        } catch (ConnectException refused) {
            return true; // ECONNREFUSED: a socket file nobody listens on any more
        }
    }

    /** A start killed between bind and rename leaves its private directory behind: nobody else will remove it. */
    private static void removeTempDirectoriesOfCrashedStarts(Path dir, String prefix) {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix)
                && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover.resolve("s"));
                Files.delete(leftover);
                log.info("removed {}, left by an interrupted start", leftover);
            }
        } catch (IOException e) {
            log.warn("could not remove what an interrupted start left in {}: {}", dir, e.toString());
        }
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    /** The listening channel (blocking mode); accept connections from it. */
    public ServerSocketChannel channel() {
        return channel;
    }

    /**
     * Stops listening and removes the socket file, unless another process has since replaced it.
     */
    @Override
    public void close() throws IOException {
        channel.close();
        Flock lock;
        try {
            lock = lockBeside(path);
        } catch (NoSuchFileException directoryGone) {
            return; // and the socket with it
        }
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (fileKey != null && fileKey.equals(current)) {
                Files.delete(path);
            } else {
                log.warn("left {} in place: it is no longer the socket this daemon created", path);
            }
        } catch (NoSuchFileException alreadyGone) {
            // someone removed it already: nothing to clean up
        } finally {
            release(lock);
        }
    }
}
