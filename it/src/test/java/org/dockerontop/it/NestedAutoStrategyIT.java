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

/**
 * Every scenario with the daemon on {@code --strategy auto} in a nested setting: its root directory
 * sits on an overlayfs (as inside a container), which the kernel refuses as an overlay's upper
 * directory. {@code auto} must fall back to FUSE for every volume and say why.
 */
class NestedAutoStrategyIT extends FuseScenarios {
    private Path merged;

    @Override
    protected String daemonStrategy() {
        return "auto";
    }


    @Override
    protected Path prepareRoot(Path work) throws Exception {
        Path nested = Files.createDirectories(work.resolve("nested"));
        for (String dir : List.of("lower", "upper", "work", "merged")) {
            Files.createDirectories(nested.resolve(dir));
        }
        merged = nested.resolve("merged");
        run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + nested.resolve("lower") + ",upperdir="
                + nested.resolve("upper") + ",workdir=" + nested.resolve("work"), merged.toString());
        assertEquals("overlay", HostState.fsTypeAt(merged));
        return Files.createDirectories(merged.resolve("root"));
    }

    @Override
    protected void releaseRoot() throws Exception {
        if (merged != null && HostState.isMountPoint(merged)) {
            List<String> inside = HostState.mountsUnder(merged);
            if (inside.size() > 1) {
                throw new AssertionError("mounts left inside the nested root, not unmounting it: " + inside);
            }
            run("umount", merged.toString());
        }
    }

    /** The kernel overlay cannot work here: auto (falling back to FUSE) next to a forced FUSE volume. */
    @Override
    protected Map<String, String> mixedStrategies() {
        return Map.of("auto", "fuse", "fuse", "fuse");
    }

    @Override
    protected void checkStrategyReason(JsonNode status) {
        String reason = Status.text(status, "strategyReason");
        assertFalse(reason.isBlank(), "auto must say why it chose FUSE: " + status);
    }

    @Test
    void forcingTheKernelOverlayWhereItCannotWorkIsAClearErrorAtMount() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString(), "strategy", "overlay"));

        DockerOps.Result refused;
        try {
            refused = docker.run(name, "true");
        } catch (RuntimeException dockerRefused) {
            refused = new DockerOps.Result(-1, dockerRefused.getMessage());
        }
        assertNotEquals(0, refused.exitCode(), "a forced overlay must not silently switch to FUSE");
        assertTrue(refused.output().toLowerCase().contains("overlay"), "the error names the overlay: " + refused.output());
        JsonNode status = docker.inspectVolume(name).path("Status");
        assertEquals("false", Status.text(status, "mounted"), "a failed Mount leaves nothing mounted: " + status);
        assertEquals("0", Status.text(status, "activeMounts"), "a failed Mount leaves nothing counted: " + status);
        assertEquals(List.of(), HostState.mountsUnder(root.resolve(name)));
    }
}
