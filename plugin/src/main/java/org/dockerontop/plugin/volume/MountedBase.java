package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.Syscalls;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.plugin.mount.BoundedCalls;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Which directory a volume's mount shows as its base. A mount keeps the directory its base path named when it was
 * made: if that directory is removed and the path made again, or moved aside and replaced, while the volume is
 * mounted, the path looks fine but the mount shows another directory (a deleted one, which cannot even be listed).
 * So the base's device and inode numbers are recorded when the volume is mounted, in {@code NAME/mounted-base} (a
 * restarted plugin still knows them; the original Go plugin ignores the file), and compared with what the path names
 * now. The record is written before the mount it describes, so that it cannot describe another one; a mount the
 * plugin adopts with no record (made by the Go plugin or an earlier version) gets one only where its server tells which
 * directory it shows ({@link #recordAdopted}).
 */
final class MountedBase {
    private static final Logger LOG = LoggerFactory.getLogger(MountedBase.class);
    static final String FILE = "mounted-base";
    /** How long a look at a base may take before it counts as not answering (a base on a hung file system). */
    static final Duration LOOK_TIMEOUT = Duration.ofSeconds(5);

    private MountedBase() {
    }

    /** A directory's device and inode numbers, as stat(2) gives them. */
    record Identity(long dev, long ino) {
        @Override
        public String toString() {
            return dev + " " + ino;
        }

        static Identity parse(String s) {
            String[] parts = s.trim().split(" ");
            return new Identity(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        }
    }

    /**
     * What a base path names now.
     *
     * @param answered whether stat(2) answered within {@link #LOOK_TIMEOUT}
     * @param identity the directory's, or null if the path names no directory (or is no path here)
     */
    record Look(boolean answered, Identity identity) {
        boolean directory() {
            return answered && identity != null;
        }
    }

    /**
     * Records {@code base}, the identity of the base directory of the mount about to be made of volume {@code name}.
     * The record only serves docker volume inspect: a failure to write it is logged, not raised.
     */
    static void record(VolumeStore store, String name, Identity base) {
        Path file = store.volumeDir(name).resolve(FILE);
        try {
            VolumeStore.writeAtomically(file, base.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Volume {}: cannot record which directory its base is ({}); docker volume inspect will not "
                    + "tell if it is replaced while mounted", name, e.toString());
        }
    }

    /**
     * Records the base directory of a mount the plugin adopts with no record, where that can be told truthfully: a
     * FUSE mount served by docker-on-top-fuse, which works from the very directory it shows (see
     * {@link ExistingMounts#fuseServerWorkingDirectory}). Not for a server working from the root directory (a version
     * that read the base by its path), nor for a kernel overlay, whose lower layer is shown only as the path it was
     * given (which may name another directory by now), nor if the look gives no answer in time.
     */
    static void recordAdopted(VolumeStore store, String name, MountEntry entry) {
        if (!entry.isFuse() || recorded(store, name) != null) {
            return;
        }
        Optional<Path> cwd = ExistingMounts.fuseServerWorkingDirectory(entry.mountpoint());
        if (cwd.isEmpty()) {
            return;
        }
        Look shown = look(cwd.get());
        Look root = look(Path.of("/"));
        if (!shown.directory() || !root.directory() || shown.identity().equals(root.identity())) {
            return;
        }
        record(store, name, shown.identity());
        LOG.info("Volume {}: recorded which directory its adopted FUSE mount shows as its base ({}), as its server "
                + "works from it", name, shown.identity());
    }

    /** The identity recorded for the volume's mount, or null if none is (or it is unreadable). */
    static Identity recorded(VolumeStore store, String name) {
        try {
            return Identity.parse(Files.readString(store.volumeDir(name).resolve(FILE), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Deletes the record once the volume is no longer mounted; a failure is logged (a stale record is rewritten). */
    static void forget(VolumeStore store, String name) {
        try {
            Files.deleteIfExists(store.volumeDir(name).resolve(FILE));
        } catch (IOException e) {
            LOG.warn("Volume {}: cannot delete {}: {}", name, store.volumeDir(name).resolve(FILE), e.toString());
        }
    }

    /**
     * Whether the base path now names another directory than the one recorded for the volume's mount; false if
     * nothing is recorded or the path names no directory (that is told otherwise).
     */
    static boolean replaced(VolumeStore store, String name, Look now) {
        Identity then = recorded(store, name);
        return then != null && now.directory() && !then.equals(now.identity());
    }

    /**
     * Looks at {@code base} (null: no path here) in bounded time: a base on a file system whose server hangs must not
     * hang docker volume inspect (see {@link BoundedCalls}). A stat may be answered from the kernel's cache.
     */
    static Look look(Path base) {
        return look(base, false);
    }

    /**
     * As {@link #look}, and asks the base's file system itself first (statfs(2), never answered from a cache), as
     * mounting the volume will: a Mount must not hang in mount(2) or in its FUSE server's start.
     */
    static Look lookBeforeMount(Path base) {
        return look(base, true);
    }

    private static Look look(Path base, boolean reachServer) {
        if (base == null) {
            return new Look(true, null);
        }
        Path p = base.toAbsolutePath();
        String what = (reachServer ? "statfs+stat " : "stat ") + p;
        try {
            return new Look(true, BoundedCalls.call(what, what, LOOK_TIMEOUT, () -> {
                try {
                    if (reachServer) {
                        Syscalls.statfsErrno(p); // only to wait for the server's answer: the stat tells the rest
                    }
                    return identity(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        } catch (TimeoutException e) {
            return new Look(false, null);
        } catch (UncheckedIOException e) {
            return new Look(true, null);
        }
    }

    /** The identity of the directory {@code dir} names (following symbolic links, as a mount does), or null. */
    private static Identity identity(Path dir) throws IOException {
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(dir, "unix:dev,ino,isDirectory");
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!Boolean.TRUE.equals(attrs.get("isDirectory"))) {
            return null;
        }
        return new Identity((Long) attrs.get("dev"), (Long) attrs.get("ino"));
    }
}
