package org.dockerontop.plugin.volume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateRootLockTest {
    @TempDir
    Path tmp;

    @Test
    void createsTheRootAndRefusesASecondHolderNamingTheRootAndThePid() throws Exception {
        Path root = tmp.resolve("a/state");
        try (StateRootLock lock = StateRootLock.acquire(root)) {
            assertEquals(root, lock.root());
            assertTrue(Files.isDirectory(root));
            StateRootInUseException refused = assertThrows(StateRootInUseException.class,
                    () -> StateRootLock.acquire(tmp.resolve("a/./state")));
            assertEquals("another docker-on-top daemon (pid " + ProcessHandle.current().pid() + ") is already using the"
                    + " state directory " + root + ": stop it first (e.g. systemctl stop docker-on-top), or give this"
                    + " daemon its own --root (two daemons on one state directory would corrupt it)", refused.getMessage());
        }
        StateRootLock.acquire(root).close();
    }

    /** The original Go daemon takes every entry of the root for a volume: the lock must add none. */
    @Test
    void addsNothingToTheStateDirectory() throws Exception {
        Path root = tmp.resolve("state");
        try (StateRootLock lock = StateRootLock.acquire(root)) {
            VolumeStore store = new VolumeStore(root);
            store.create("v", new VolumeMetadata(tmp.toString(), false, null, null));
            try (var entries = Files.list(root)) {
                assertEquals(List.of("v"), entries.map(p -> p.getFileName().toString()).toList());
            }
            assertEquals(List.of("v"), store.names());
            // the per-volume locks are separate flocks on other directories
            try (VolumeLock volume = store.lock("v")) {
                assertEquals(Map.of(), store.activeMounts("v"));
            }
        }
    }

    @Test
    void aRootThatIsAFileIsAnError() throws Exception {
        Path file = Files.writeString(tmp.resolve("state"), "not a directory");
        VolumeException e = assertThrows(VolumeException.class, () -> StateRootLock.acquire(file));
        assertTrue(e.getMessage().startsWith("cannot create the state directory " + file), e.getMessage());
    }
}
