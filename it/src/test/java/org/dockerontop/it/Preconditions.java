package org.dockerontop.it;

import org.testcontainers.DockerClientFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the integration suites need from the host. A missing piece fails the suite with a message
 * saying how to provide it: these tests are the product's proof, so they never skip silently.
 */
public final class Preconditions {
    private Preconditions() {
    }

    public static void requireRootDockerFuseOverlay() throws IOException {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!Integer.valueOf(0).equals(uid)) {
            throw new IllegalStateException("the integration tests must run as root (uid 0, not " + uid
                    + "): they mount overlays and FUSE filesystems and serve a plugin socket in /run/docker/plugins");
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            throw new IllegalStateException("/dev/fuse is missing: load the fuse module (modprobe fuse) or give the"
                    + " container --device /dev/fuse");
        }
        String filesystems = Files.readString(Path.of("/proc/filesystems"));
        if (!filesystems.contains("\toverlay\n") || !filesystems.contains("\tfuse\n")) {
            throw new IllegalStateException("the kernel lacks overlay or fuse (modprobe overlay fuse); /proc/filesystems:\n" + filesystems);
        }
        try {
            DockerClientFactory.instance().client().pingCmd().exec();
        } catch (RuntimeException e) {
            throw new IllegalStateException("no Docker daemon answers (start dockerd, or set DOCKER_HOST): " + e.getMessage(), e);
        }
    }
}
