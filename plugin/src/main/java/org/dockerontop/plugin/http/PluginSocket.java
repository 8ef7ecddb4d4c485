package org.dockerontop.plugin.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
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

/**
 * The listening unix socket file of the daemon, e.g. /run/docker/plugins/docker-on-top.sock.
 *
 * <p>The socket is root-only from the first instant: it is bound inside a fresh 0700 directory next to
 * its final path, made 0600, and only then renamed into place (rename is atomic and replaces a stale file).
 * A socket file that already exists is replaced only when nothing answers on it; it is removed again by
 * {@link #close()}, but only while it is still the file this daemon created.
 */
public final class PluginSocket implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(PluginSocket.class);
    private static final int BACKLOG = 128;

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
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (fileKey != null && fileKey.equals(current)) {
                Files.delete(path);
            } else {
                log.warn("left {} in place: it is no longer the socket this daemon created", path);
            }
        } catch (NoSuchFileException alreadyGone) {
            // someone removed it already: nothing to clean up
        }
    }
}
