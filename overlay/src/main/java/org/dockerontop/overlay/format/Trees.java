package org.dockerontop.overlay.format;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Recursive deletion of layer directories (discarded uppers, work directories, removed volumes).
 * Never follows symbolic links: a link in an upper layer is deleted, not what it points to. Entries
 * that vanish meanwhile (another deleter, a crash clean-up) count as deleted.
 */
public final class Trees {
    private Trees() {
    }

    /**
     * Deletes {@code top} and everything below it; nothing happens if it does not exist.
     *
     * @throws IOException if an entry cannot be deleted (permissions, a mount inside, I/O)
     */
    public static void delete(Path top) throws IOException {
        deleteBelow(top, true);
    }

    /**
     * Deletes everything below directory {@code dir}, keeping {@code dir} itself.
     *
     * @throws IOException if an entry cannot be deleted
     */
    public static void empty(Path dir) throws IOException {
        deleteBelow(dir, false);
    }

    private static void deleteBelow(Path top, boolean includingTop) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (exc != null && !(exc instanceof NoSuchFileException)) {
                        throw exc;
                    }
                    if (includingTop || !dir.equals(top)) {
                        Files.deleteIfExists(dir);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // the top itself vanished
        }
    }
}
