package org.dockerontop.overlay.format;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The kernel overlay's marks of features a later mount must not ignore, kept in
 * {@code WORKDIR/work/incompat/}. The one the kernel makes is {@code volatile/dirty}: a mount with the
 * {@code volatile} option syncs nothing, so after a crash its upper may have lost changes; the kernel
 * never removes the mark (not even on a clean unmount) and refuses every later mount of that workdir
 * ("overlay with incompat feature 'volatile' cannot be mounted") until someone removes it or starts
 * over with empty upper and work directories. Our FUSE overlay makes and honours the same mark, so the
 * two refuse the same layers.
 */
public final class IncompatFeatures {
    /** The feature a volatile mount marks. */
    public static final String VOLATILE = "volatile";

    private IncompatFeatures() {
    }

    /** {@code WORKDIR/work/incompat}, where the marks live. */
    public static Path directory(Path workdir) {
        return workdir.resolve("work").resolve("incompat");
    }

    /**
     * The name of a feature marked in {@code workdir} (the overlay's {@code workdir=} directory), if any.
     *
     * @throws IOException if the marks cannot be read (permissions, I/O)
     */
    public static Optional<String> marked(Path workdir) throws IOException {
        Path dir = directory(workdir);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                return Optional.of(p.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * Marks {@code workdir} as used by a volatile mount, as the kernel does: directories and an empty
     * {@code dirty} file, all with mode 0.
     *
     * @throws IOException if the mark cannot be made
     */
    public static void markVolatile(Path workdir) throws IOException {
        Path dir = directory(workdir).resolve(VOLATILE);
        Files.createDirectories(dir);
        Path dirty = dir.resolve("dirty");
        if (!Files.exists(dirty, LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(dirty);
        }
        Files.setPosixFilePermissions(dirty, PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(dir.getParent(), PosixFilePermissions.fromString("---------"));
    }

    /** What a user can do about a marked workdir; for error messages. */
    public static String advice(Path workdir, String feature) {
        return "workdir " + workdir + " carries the overlay's incompat feature '" + feature + "' ("
                + directory(workdir).resolve(feature) + ")"
                + (feature.equals(VOLATILE) ? ": it was mounted volatile, and after a crash its upper may have "
                + "lost changes" : "")
                + "; the kernel overlay refuses it too. Start over with empty upper and work directories, or remove "
                + directory(workdir) + " if you know the upper is intact";
    }
}
