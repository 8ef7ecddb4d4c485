package org.dockerontop.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scenarios of {@link VolumeScenarios}, plus what only a FUSE-mounted volume can go through. */
abstract class FuseScenarios extends VolumeScenarios {

    @Override
    protected String expectedStrategy() {
        return "fuse";
    }

    @Test
    void aDeadFuseProcessIsReportedAndReplacedNotHandedToTheNextContainer() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString()));
        String a = docker.start(name);
        docker.exec(a, "sh", "-c", "echo kept > /data/kept.txt && sync").assertOk("write");
        List<String> servers = volumeProcesses(name);
        assertEquals(1, servers.size(), "one process serves the FUSE volume: " + servers);

        long pid = Long.parseLong(servers.get(0).substring(0, servers.get(0).indexOf(':')));
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        await("FUSE process " + pid + " gone", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        assertNotEquals(0, docker.exec(a, "cat", "/data/kept.txt").exitCode(), "the dead mount no longer serves files");

        JsonNode status = docker.inspectVolume(name).path("Status");
        assertEquals("false", Status.text(status, "mounted"), "a dead mount is not reported as mounted: " + status);
        assertFalse(Status.text(status, "problem").isBlank(), "inspect says what is wrong: " + status);

        // the next container gets a fresh mount with every change written before the crash
        String b = docker.start(name);
        assertEquals("kept\n", docker.exec(b, "cat", "/data/kept.txt").assertOk("read through the new mount").output());
        assertEquals(1, volumeProcesses(name).size(), "one live process serves the volume: " + volumeProcesses(name));
        JsonNode replaced = docker.inspectVolume(name).path("Status");
        assertEquals("true", Status.text(replaced, "mounted"), replaced.toString());
        assertTrue(replaced.path("problem").isMissingNode(), "the problem is gone once replaced: " + replaced);

        docker.stop(a);
        assertEquals("kept\n", docker.exec(b, "cat", "/data/kept.txt").assertOk("b after a stopped").output());
        docker.stop(b);
        awaitUnmounted(name);
        assertEquals(List.of(), volumeProcesses(name));
        assertTrue(Files.exists(root.resolve(name).resolve("upper/kept.txt")));
    }
}
