package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeMetadata;
import org.dockerontop.plugin.volume.VolumeStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A state directory on a FUSE file system, as in a container whose storage is served by FUSE: libfuse 2 servers
 * (docker-on-top-fuse itself, sshfs and the like) refuse rename(2)'s flags, RENAME_NOREPLACE among them.
 */
@Timeout(120)
class StateRootOnFuseTest {
    @TempDir
    Path dir;

    @AfterEach
    void unmount() throws Exception {
        TestMounts.unmountAllUnder(dir);
    }

    @Test
    void volumesAreCreatedOnAFileSystemWithoutRenameNoReplace() throws Exception {
        assumeTrue(!TestMounts.usesFuseOverlayfs(), "needs the built docker-on-top-fuse jar (libfuse 2: no rename flags)");
        Layers layers = TestMounts.layers(dir);
        TestMounts.fuse().mount(layers);
        VolumeStore store = new VolumeStore(Files.createDirectories(layers.mountpoint().resolve("state")));

        store.create("v", new VolumeMetadata("/srv", false, null, Instant.EPOCH.toString()));

        assertTrue(store.exists("v"));
        assertEquals(List.of("v"), store.names());
        String again = org.junit.jupiter.api.Assertions.assertThrows(
                org.dockerontop.plugin.volume.VolumeException.class,
                () -> store.create("v", new VolumeMetadata("/other", false, null, Instant.EPOCH.toString()))).getMessage();
        assertTrue(again.contains("already exists"), again);
        assertEquals("/srv", store.readMetadata("v").baseDirPath(), "a second create replaces nothing");
    }
}
