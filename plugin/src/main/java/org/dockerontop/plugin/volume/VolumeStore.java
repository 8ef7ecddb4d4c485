package org.dockerontop.plugin.volume;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.dockerontop.overlay.format.Trees;
import org.dockerontop.overlay.mount.Flock;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The on-disk state of all volumes, in exactly the original docker-on-top's layout:
 * <pre>
 * ROOT/NAME/metadata.json        {"BaseDirPath": "...", "Volatile": false, ...}
 * ROOT/NAME/upper/               the volume's changes (overlayfs upper format)
 * ROOT/NAME/activemounts/ID      {"UsageCount": n}, one file per dockerd mount ID; flock'ed directory
 * ROOT/NAME/workdir/             only while mounted
 * ROOT/NAME/mountpoint/          only while mounted
 * </pre>
 * Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so a crash
 * leaves either the old or the new content. Temporary names start with '.', which no volume name or mount
 * ID can, so they are never mistaken for state and are swept at start-up.
 */
public final class VolumeStore {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeStore.class);
    static final String METADATA = "metadata.json";
    static final String UPPER = "upper";
    static final String ACTIVE_MOUNTS = "activemounts";
    static final String WORKDIR = "workdir";
    static final String MOUNTPOINT = "mountpoint";
    /**
     * Prefix of a volatile volume's old upper moved aside by a Mount that has not taken effect yet: if that Mount
     * fails or the plugin dies before it mounted, the old upper is put back (a failed Mount loses nothing).
     */
    static final String DISCARDED_UPPER = ".discarded-upper-";
    /** Prefix of an old upper whose discard took effect (the Mount on the new upper succeeded): being deleted. */
    static final String DELETING_UPPER = ".deleting-upper-";
    /** Prefixes of whole volume directories being created or removed (in ROOT). */
    static final String CREATING = ".creating-";
    static final String REMOVING = ".removing-";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong UNIQUE = new AtomicLong(System.nanoTime());

    private final Path root;

    /**
     * @param root the state directory; created (with parents) if missing; used by its real path
     * @throws VolumeException if it cannot be created or is not a directory
     */
    public VolumeStore(Path root) throws VolumeException {
        Path given = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(given);
            // The mount table names mountpoints by their real path: through a symbolic link (say /var/lib linked
            // to another disk) every mounted volume would look unmounted, and start-up would drop its counts.
            this.root = given.toRealPath();
        } catch (IOException e) {
            throw new VolumeException("cannot create the state directory " + given + ": " + e, e);
        }
    }

    public Path root() {
        return root;
    }

    public Path volumeDir(String name) {
        return root.resolve(name);
    }

    public Path upper(String name) {
        return volumeDir(name).resolve(UPPER);
    }

    public Path activeMountsDir(String name) {
        return volumeDir(name).resolve(ACTIVE_MOUNTS);
    }

    public Path workdir(String name) {
        return volumeDir(name).resolve(WORKDIR);
    }

    public Path mountpoint(String name) {
        return volumeDir(name).resolve(MOUNTPOINT);
    }

    /** @return whether the volume's metadata.json exists */
    public boolean exists(String name) {
        return Files.isRegularFile(volumeDir(name).resolve(METADATA));
    }

    /**
     * Names of all volumes: directories in the root whose name is a valid volume name
     * (temporary and trash directories start with '.' and are skipped).
     *
     * @throws VolumeException if the root cannot be listed
     */
    public List<String> names() throws VolumeException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(root)) {
            for (Path p : dir) {
                String n = p.getFileName().toString();
                if (VolumeOptions.NAME.matcher(n).matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(n);
                }
            }
        } catch (IOException e) {
            throw new VolumeException("cannot list the state directory " + root + ": " + e, e);
        }
        names.sort(null);
        return names;
    }

    /**
     * Creates the volume's directory with upper/, activemounts/ and metadata.json, all at once: the tree is
     * built under a temporary name and renamed into place without replacing anything, so a crash never
     * leaves a half-created volume and two creators cannot both succeed.
     *
     * @throws VolumeException if the volume already exists or the state cannot be written
     */
    public void create(String name, VolumeMetadata metadata) throws VolumeException {
        Path target = volumeDir(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw exists(name) ? alreadyExists(name) : notAVolume(name);
        }
        Path tmp = root.resolve(CREATING + UNIQUE.incrementAndGet()); // no name in it: NAME may be 255 bytes
        try {
            Files.createDirectory(tmp);
            Files.createDirectory(tmp.resolve(UPPER));
            Files.createDirectory(tmp.resolve(ACTIVE_MOUNTS));
            writeAtomically(tmp.resolve(METADATA), JSON.writeValueAsBytes(metadata));
            fsyncDir(tmp);
            renameIntoPlace(tmp, target);
            fsyncDir(root);
        } catch (MountException e) {
            deleteQuietly(tmp);
            if (e.errno() == Syscalls.EEXIST || e.errno() == 39 /* ENOTEMPTY */) {
                throw exists(name) ? alreadyExists(name) : notAVolume(name);
            }
            throw new VolumeException("cannot create the state of volume " + name + " in " + root + ": "
                    + e.getMessage(), e);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new VolumeException("cannot create the state of volume " + name + " in " + root + ": " + e, e);
        }
    }

    /**
     * Renames the new volume's tree to its name without replacing anything: renameat2(RENAME_NOREPLACE) where the
     * file system has it. Some have not (libfuse 2 servers such as docker-on-top-fuse itself, sshfs; NFS before
     * 2021): they answer EINVAL, and plain rename(2) is used instead, which cannot replace a volume either (a
     * volume directory is never empty: ENOTEMPTY) and replaces at most an empty directory, which holds nothing.
     *
     * @throws MountException with EEXIST or ENOTEMPTY if the name is taken, or another errno
     */
    private static void renameIntoPlace(Path tmp, Path target) throws MountException, IOException {
        try {
            Syscalls.renameNoReplace(tmp, target);
        } catch (MountException e) {
            if (e.errno() != Syscalls.EINVAL) {
                throw e;
            }
            LOG.debug("{} has no RENAME_NOREPLACE ({}); renaming with rename(2)", target.getParent(), e.getMessage());
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new MountException(Syscalls.EEXIST, "cannot rename " + tmp + " to " + target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (DirectoryNotEmptyException | FileAlreadyExistsException taken) {
                throw new MountException(Syscalls.EEXIST, "cannot rename " + tmp + " to " + target);
            }
        }
    }

    private static VolumeException alreadyExists(String name) {
        return new VolumeException("volume " + name + " already exists: choose another name, or remove it first "
                + "with docker volume rm " + name);
    }

    /**
     * The name is taken by a directory that is no volume: dockerd does not know it, so docker volume rm cannot help.
     */
    private VolumeException notAVolume(String name) {
        return new VolumeException("cannot create volume " + name + ": " + volumeDir(name) + " already exists but "
                + "holds no volume (it has no " + METADATA + "; an interrupted create or something copied there?): "
                + "move it out of " + root + " or delete it, then retry");
    }

    /**
     * Deletes the volume directory {@code name} if it is exactly what an interrupted create of the original Go
     * docker-on-top leaves (it makes NAME/, then upper/ and activemounts/, then writes metadata.json): no
     * metadata.json and nothing but an empty upper/ and an empty activemounts/. Anything else is kept: it may hold
     * someone's data. Without this the name could never be used again (dockerd does not know such a volume, so
     * it cannot be removed).
     *
     * @return whether it was deleted (as {@link #delete} deletes a volume)
     * @throws IOException     if it cannot be examined
     * @throws VolumeException if it cannot be moved away
     */
    public boolean deleteIfInterruptedCreate(String name) throws IOException, VolumeException {
        Path dir = volumeDir(name);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!(n.equals(UPPER) || n.equals(ACTIVE_MOUNTS)) || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    return false;
                }
                try (DirectoryStream<Path> inner = Files.newDirectoryStream(p)) {
                    if (inner.iterator().hasNext()) {
                        return false;
                    }
                }
            }
        }
        delete(name);
        return true;
    }

    /**
     * @return the metadata, whose {@link VolumeMetadata#baseDirPath()} is an absolute path
     * @throws VolumeException "no such volume" if it does not exist, or if metadata.json is unreadable: not JSON,
     *                         or JSON without an absolute BaseDirPath (callers rely on having a base to show)
     */
    public VolumeMetadata readMetadata(String name) throws VolumeException {
        Path file = volumeDir(name).resolve(METADATA);
        String problem;
        IOException cause = null;
        try {
            VolumeMetadata meta = JSON.readValue(Files.readAllBytes(file), VolumeMetadata.class);
            // JSON "null" reads as null, and a missing field as null: both would fail later as internal errors
            String base = meta == null ? null : meta.baseDirPath();
            if (base != null && base.startsWith("/")) {
                return meta;
            }
            problem = base == null || base.isEmpty() ? "it names no BaseDirPath"
                    : "its BaseDirPath \"" + base + "\" is not an absolute path";
        } catch (NoSuchFileException e) {
            throw noSuchVolume(name);
        } catch (IOException e) {
            problem = e.getMessage();
            cause = e;
        }
        throw new VolumeException("the state of volume " + name + " is unreadable (" + file + ": " + problem
                + "); write it again as {\"BaseDirPath\": \"/base/dir\", \"Volatile\": false}, or "
                + "remove the volume with docker volume rm " + name, cause);
    }

    static VolumeException noSuchVolume(String name) {
        return new VolumeException("no such volume: " + name);
    }

    /**
     * Names that fail validation cannot exist; saying so also keeps "../x" away from the file system.
     *
     * @throws VolumeException "no such volume" for such a name
     */
    static void requireValidName(String name) throws VolumeException {
        if (name == null || name.length() > 255 || !VolumeOptions.NAME.matcher(name).matches()) {
            throw noSuchVolume(name);
        }
    }

    /** @throws VolumeException "no such volume" if volume {@code name} does not exist */
    void requireExists(String name) throws VolumeException {
        if (!exists(name)) {
            throw noSuchVolume(name);
        }
    }

    /** The volume's metadata, or null if it is unreadable (a Remove or Unmount must still work then). */
    VolumeMetadata metadataOrNull(String name) {
        try {
            return readMetadata(name);
        } catch (VolumeException e) {
            return null;
        }
    }

    /** @throws VolumeException if metadata.json cannot be written */
    public void writeMetadata(String name, VolumeMetadata metadata) throws VolumeException {
        try {
            writeAtomically(volumeDir(name).resolve(METADATA), JSON.writeValueAsBytes(metadata));
        } catch (IOException e) {
            throw new VolumeException("cannot write the metadata of volume " + name + ": " + e, e);
        }
    }

    /** When the volume directory was last modified: the creation time of volumes made by the original. */
    public Instant directoryTime(String name) throws VolumeException {
        try {
            return Files.getLastModifiedTime(volumeDir(name)).toInstant();
        } catch (IOException e) {
            throw new VolumeException("cannot read the state of volume " + name + ": " + e, e);
        }
    }

    /**
     * Usage counts per mount ID, from activemounts/. A file whose content is unreadable counts as one use
     * (the original wrote files it never read back; being in use is the safe assumption).
     *
     * @throws VolumeException if the directory cannot be listed
     */
    public Map<String, Integer> activeMounts(String name) throws VolumeException {
        Map<String, Integer> counts = new TreeMap<>();
        Path dir = activeMountsDir(name);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String id = p.getFileName().toString();
                if (id.startsWith(".")) {
                    continue;
                }
                int n;
                try {
                    n = JSON.readValue(Files.readAllBytes(p), ActiveMount.class).usageCount();
                } catch (IOException e) {
                    LOG.warn("Volume {}: active mount file {} is unreadable ({}); counting it as one use", name, p,
                            e.getMessage());
                    n = 1;
                }
                counts.put(id, Math.max(n, 1));
            }
        } catch (NoSuchFileException e) {
            throw noSuchVolume(name);
        } catch (IOException e) {
            throw new VolumeException("cannot read the active mounts of volume " + name + " (" + dir + "): " + e, e);
        }
        return counts;
    }

    /**
     * Records {@code count} uses by mount ID {@code id} (atomically replacing the previous count).
     *
     * @throws IOException if the file cannot be written; the previous count then stays
     */
    public void writeActiveMount(String name, String id, int count) throws IOException {
        writeAtomically(activeMountsDir(name).resolve(id), JSON.writeValueAsBytes(new ActiveMount(count)));
    }

    /**
     * Deletes mount ID {@code id}'s file (and makes the deletion durable).
     *
     * @throws IOException if it cannot be deleted
     */
    public void deleteActiveMount(String name, String id) throws IOException {
        Files.deleteIfExists(activeMountsDir(name).resolve(id));
        fsyncDir(activeMountsDir(name));
    }

    /**
     * Takes the volume's lock: flock(LOCK_EX) on its activemounts/ directory, like the original, so that
     * Mount/Unmount/Remove of one volume are serialised across threads and across daemons on one root.
     * Blocks until granted. A lock granted on a directory that was removed meanwhile (a Remove moves the whole
     * volume away, and a Create may make a new one of that name) is not the volume's lock: it is dropped and the
     * directory there now is locked instead.
     *
     * @throws VolumeException "no such volume" if the directory is gone
     */
    public VolumeLock lock(String name) throws VolumeException {
        Path dir = activeMountsDir(name);
        while (true) {
            Object before = identity(dir, name);
            Flock lock;
            try {
                lock = Flock.lockDirectory(dir);
            } catch (MountException e) {
                if (e.errno() == Syscalls.ENOENT) {
                    throw noSuchVolume(name);
                }
                throw new VolumeException("cannot lock volume " + name + ": " + e.getMessage(), e);
            }
            Object after;
            try {
                after = identity(dir, name);
            } catch (VolumeException e) {
                lock.close();
                throw e;
            }
            if (before.equals(after)) {
                return new VolumeLock(lock);
            }
            lock.close();
        }
    }

    /** The device and inode of {@code dir}: which directory the name stands for right now. */
    private static Object identity(Path dir, String name) throws VolumeException {
        try {
            Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            return List.of(a.get("dev"), a.get("ino"));
        } catch (NoSuchFileException e) {
            throw noSuchVolume(name);
        } catch (IOException e) {
            throw new VolumeException("cannot lock volume " + name + ": " + e, e);
        }
    }

    /**
     * Empties a volatile volume's upper: moves it aside under a '.' name and creates a new empty upper.
     * Until {@link #confirmDiscard} the old content is only set aside: a failed Mount puts it back with
     * {@link #restoreDiscarded}, and so does start-up after a crash before the mount ({@link #recoverDiscarded}).
     *
     * @return the directory holding the old upper
     * @throws IOException if the upper cannot be moved or recreated
     */
    public Path discardUpper(String name) throws IOException {
        Path aside = volumeDir(name).resolve(DISCARDED_UPPER + UNIQUE.incrementAndGet());
        if (Files.notExists(upper(name), LinkOption.NOFOLLOW_LINKS)) {
            // a discard killed between its move and its mkdir, and no start-up since to put the old upper back
            Files.createDirectory(upper(name));
        }
        Files.move(upper(name), aside, StandardCopyOption.ATOMIC_MOVE);
        Files.createDirectory(upper(name));
        fsyncDir(volumeDir(name));
        return aside;
    }

    /**
     * Marks a discard as done once the Mount on the new upper has succeeded and been counted: the old upper is
     * renamed to a {@link #DELETING_UPPER} name, which start-up deletes instead of putting it back. Failures are
     * logged: the old upper then stays a {@link #DISCARDED_UPPER}, which start-up deletes too as long as the volume
     * is mounted, and otherwise puts back only over an empty upper, which the next Mount discards again.
     *
     * @return the directory to delete
     */
    public Path confirmDiscard(String name, Path aside) {
        Path deleting = volumeDir(name).resolve(DELETING_UPPER + UNIQUE.incrementAndGet());
        try {
            Files.move(aside, deleting, StandardCopyOption.ATOMIC_MOVE);
            return deleting;
        } catch (IOException e) {
            LOG.warn("Volume {}: cannot mark {} as discarded: {}", name, aside, e.toString());
            return aside;
        }
    }

    /** Puts a discarded upper back if the new one is still empty (after a failed Mount); failures are logged. */
    public void restoreDiscarded(String name, Path aside) {
        try {
            if (!putBack(name, aside)) {
                LOG.warn("Volume {}: not restoring the discarded changes in {}: the new upper is not empty",
                        name, aside);
            }
        } catch (IOException e) {
            LOG.warn("Volume {}: cannot put the discarded changes in {} back as its upper: {}", name, aside,
                    e.toString());
        }
    }

    /**
     * Makes {@code aside} the upper again, in one rename(2): it replaces a missing or empty upper atomically, so no
     * instant exists where the volume has no upper or has lost the old one.
     *
     * @return false (and nothing changed) if the current upper is not empty
     */
    private boolean putBack(String name, Path aside) throws IOException {
        Path upper = upper(name);
        if (Files.isDirectory(upper, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(upper)) {
                if (ds.iterator().hasNext()) {
                    return false;
                }
            }
        }
        try {
            Files.move(aside, upper, StandardCopyOption.ATOMIC_MOVE); // rename(2): replaces an empty directory
        } catch (DirectoryNotEmptyException e) {
            return false;
        }
        fsyncDir(volumeDir(name));
        return true;
    }

    /** Deletes one discarded upper (after the Mount that discarded it succeeded); failures are logged. */
    public void deleteDiscarded(String name, Path aside) {
        try {
            Trees.delete(aside);
        } catch (IOException e) {
            LOG.warn("Volume {}: cannot delete the discarded changes in {}: {}; retried at the next start", name,
                    aside, e.toString());
        }
    }

    /**
     * At start-up, settles the discards a crash interrupted. Confirmed ones ({@link #DELETING_UPPER}) are deleted.
     * Unconfirmed ones ({@link #DISCARDED_UPPER}) took effect if the volume is mounted (on the new upper): they are
     * deleted. Otherwise their Mount never answered, so the newest is put back if the upper is missing or empty
     * (the changes stay recoverable until a Mount succeeds) and the rest are deleted. Failures are logged.
     *
     * @param mounted whether anything (even a dead mount) is mounted at the volume's mountpoint
     */
    public void recoverDiscarded(String name, boolean mounted) {
        List<Path> unconfirmed = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(volumeDir(name), ".*-upper-*")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(DELETING_UPPER)) {
                    deleteDiscarded(name, p);
                } else if (n.startsWith(DISCARDED_UPPER)) {
                    unconfirmed.add(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("Volume {}: cannot list discarded changes: {}", name, e.toString());
            return;
        }
        if (!mounted && !unconfirmed.isEmpty()) {
            Path newest = unconfirmed.get(0);
            for (Path p : unconfirmed) {
                if (lastModified(p) > lastModified(newest)) {
                    newest = p;
                }
            }
            try {
                if (putBack(name, newest)) {
                    LOG.warn("Volume {}: a Mount that discarded its changes was interrupted before it mounted; "
                            + "put the changes back in {}", name, upper(name));
                    unconfirmed.remove(newest);
                }
            } catch (IOException e) {
                LOG.warn("Volume {}: cannot put the changes in {} back ({}); keeping them, retried at the next start",
                        name, newest, e.toString());
                return;
            }
        }
        for (Path p : unconfirmed) {
            deleteDiscarded(name, p);
        }
    }

    private static long lastModified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
        } catch (IOException e) {
            return Long.MIN_VALUE;
        }
    }

    /**
     * Moves the volume's directory out of the way (atomically: from then on it does not exist) and
     * deletes it. The caller has made sure nothing is mounted inside it.
     *
     * @throws VolumeException if it cannot be moved; a failure while deleting is only logged (start-up
     *                         finishes the deletion)
     */
    public void delete(String name) throws VolumeException {
        Path trash = root.resolve(REMOVING + UNIQUE.incrementAndGet());
        try {
            Files.move(volumeDir(name), trash, StandardCopyOption.ATOMIC_MOVE);
            fsyncDir(root);
        } catch (NoSuchFileException e) {
            throw noSuchVolume(name);
        } catch (IOException e) {
            throw new VolumeException("cannot remove the state of volume " + name + ": " + e, e);
        }
        try {
            Trees.delete(trash);
        } catch (IOException e) {
            LOG.warn("Volume {} is removed, but deleting {} failed ({}); it will be retried at the next start",
                    name, trash, e.toString());
        }
    }

    /** Deletes leftovers of interrupted creates and removes in the root. */
    public void sweepRoot() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(CREATING) || n.startsWith(REMOVING)) {
                    LOG.info("Deleting {} left by an interrupted create or remove", p);
                    Trees.delete(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot clean up leftovers in {}: {}", root, e.toString());
        }
    }

    /** Deletes temporary files of interrupted writes in a volume's directory and its activemounts/. */
    public void sweepTemporaryFiles(String name) {
        for (Path dir : List.of(volumeDir(name), activeMountsDir(name))) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*.tmp")) {
                for (Path p : ds) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                LOG.warn("Volume {}: cannot clean up temporary files in {}: {}", name, dir, e.toString());
            }
        }
    }

    /** Writes {@code content} to {@code file} so that a crash leaves either the old or the new content. */
    static void writeAtomically(Path file, byte[] content) throws IOException {
        Path dir = file.getParent();
        Path tmp = dir.resolve("." + UNIQUE.incrementAndGet() + ".tmp"); // short: the target may be 255 bytes
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        fsyncDir(dir);
    }

    static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Trees.delete(p);
        } catch (IOException e) {
            LOG.warn("Cannot delete {}: {}", p, e.toString());
        }
    }

    /** Creates {@code dir} if missing; an existing directory is fine. */
    static void ensureDirectory(Path dir) throws IOException {
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw e;
            }
        }
    }
}
