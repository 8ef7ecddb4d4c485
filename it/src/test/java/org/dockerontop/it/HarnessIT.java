package org.dockerontop.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness itself, checked before the scenarios depend on it: the host has what they need, the
 * locally built image runs, and the base fingerprint notices the changes the scenarios must rule out.
 */
class HarnessIT {

    @Test
    void hostHasRootDockerFuseAndOverlay() throws Exception {
        Preconditions.requireRootDockerFuseOverlay();
    }

    @Test
    void theLocallyBuiltBusyboxImageRunsAsRootAndAsNobody() {
        DockerOps docker = new DockerOps("local");
        try {
            assertEquals("0\n", docker.runAs(null, Map.of(), "id", "-u").assertOk("id as root").output());
            assertEquals("65534\n", docker.runAs("65534:65534", Map.of(), "id", "-u").assertOk("id as nobody").output());
        } finally {
            assertTrue(docker.cleanUp().isEmpty());
        }
    }

    @Test
    void fingerprintNoticesContentModeAndTimestampChanges(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "one");
        String before = HostState.treeFingerprint(dir);
        assertEquals(before, HostState.treeFingerprint(dir));
        Files.writeString(file, "two");
        Files.setLastModifiedTime(file, Files.getLastModifiedTime(file));
        assertNotEquals(before, HostState.treeFingerprint(dir));
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertEquals("/a b\\c", HostState.unescape("/a\\040b\\134c"));
        assertTrue(HostState.isMountPoint(Path.of("/")));
        assertEquals(true, HostState.mountsUnder(Path.of("/proc")).stream().anyMatch(m -> m.startsWith("/proc (proc)")));
    }
}
