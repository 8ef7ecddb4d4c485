package org.dockerontop.overlay.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondLockOnTheSameDirectoryIsRefusedUntilTheFirstIsClosed() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("root"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        try (Flock first = Flock.tryLockDirectory(dir).orElseThrow()) {
            assertEquals(dir, first.path());
            assertFalse(Flock.tryLockDirectory(dir).isPresent());
            assertFalse(Flock.tryLockDirectory(link).isPresent(), "the lock is on the inode, not the path");
            assertEquals(OptionalLong.of(ProcessHandle.current().pid()), Flock.holder(dir));
        }
        assertEquals(OptionalLong.empty(), Flock.holder(dir));
        Optional<Flock> again = Flock.tryLockDirectory(link);
        assertTrue(again.isPresent());
        again.get().close();
        again.get().close(); // closing twice does nothing
    }

    @Test
    void aBlockingLockWaitsForTheHolder() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("root"));
        Flock first = Flock.lockDirectory(dir);
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            first.close();
        });
        long start = System.nanoTime();
        releaser.start();
        try (Flock second = Flock.lockDirectory(dir)) {
            assertTrue(System.nanoTime() - start >= 150_000_000L, "granted before the holder released it");
        }
        releaser.join();
    }

    @Test
    void aMissingDirectoryOrAFileIsAnError() throws Exception {
        MountException missing = assertThrows(MountException.class, () -> Flock.tryLockDirectory(tmp.resolve("missing")));
        assertEquals(Syscalls.ENOENT, missing.errno());
        Path file = Files.createFile(tmp.resolve("file"));
        assertEquals(20 /* ENOTDIR */, assertThrows(MountException.class, () -> Flock.lockDirectory(file)).errno());
    }

    @Test
    void holderIsReadFromProcLocksSkippingWaitersAndOtherDevices() {
        List<String> locks = List.of(
                "1: POSIX  ADVISORY  WRITE 700 fe:00:42 0 EOF",
                "2: FLOCK  ADVISORY  WRITE 800 fe:01:42 0 EOF",
                "3: -> FLOCK  ADVISORY  WRITE 900 fe:00:42 0 EOF",
                "4: FLOCK  ADVISORY  WRITE 1000 fe:00:42 0 EOF",
                "garbage");
        assertEquals(OptionalLong.of(1000), Flock.holder(locks, 0xfe, 0, 42));
        assertEquals(OptionalLong.of(800), Flock.holder(locks, 0xfe, 1, 42));
        assertEquals(OptionalLong.empty(), Flock.holder(locks, 0xfe, 0, 43));
    }

    @Test
    void deviceNumbersDecodeAsGlibcDoes() {
        assertEquals(0xfe, Flock.major(0xfe00));
        assertEquals(0, Flock.minor(0xfe00));
        // makedev(0x12345, 0x6789a): major 0x12345, minor 0x6789a
        long dev = (0x345L << 8) | (0x12000L << 32) | 0x9aL | (0x67800L << 12);
        assertEquals(0x12345, Flock.major(dev));
        assertEquals(0x6789a, Flock.minor(dev));
    }

    @Test
    void aLockFileIsCreatedRootOnlyAndADeletedOneNoLongerCounts() throws Exception {
        Path file = tmp.resolve("x.sock.lock");
        Flock first = Flock.tryLockFile(file).orElseThrow();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(Flock.tryLockFile(file).isPresent());
        assertEquals(OptionalLong.of(ProcessHandle.current().pid()), Flock.holder(file));

        // a waiter that opened the file before its holder deleted it must not end up "holding" the deleted file
        AtomicReference<Flock> waiter = new AtomicReference<>();
        Thread waiting = new Thread(() -> {
            try {
                waiter.set(Flock.lockFile(file));
            } catch (MountException e) {
                throw new IllegalStateException(e);
            }
        });
        waiting.start();
        Thread.sleep(200);
        assertTrue(waiting.isAlive(), "granted while held");
        first.deleteAndClose();
        waiting.join(10_000);
        try (Flock second = waiter.get()) {
            assertTrue(Files.exists(file), "the waiter locks a new file at the path");
            assertFalse(Flock.tryLockFile(file).isPresent(), "the lock on the file now there is held");
            second.deleteAndClose();
        }
        assertFalse(Files.exists(file));
        Flock.tryLockFile(file).orElseThrow().deleteAndClose();
    }

    @Test
    void aSymbolicLinkIsNotFollowedToALockFile() throws Exception {
        Path target = Files.writeString(tmp.resolve("precious"), "data");
        Path link = Files.createSymbolicLink(tmp.resolve("x.lock"), target);
        assertEquals(40 /* ELOOP */, assertThrows(MountException.class, () -> Flock.tryLockFile(link)).errno());
        assertEquals("data", Files.readString(target));
    }
}
