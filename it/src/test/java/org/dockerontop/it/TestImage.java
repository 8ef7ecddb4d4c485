package org.dockerontop.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The containers' image: Debian's static busybox in an otherwise empty image, built locally because
 * no registry can be reached. Tagged with the binary's hash, so it is built once per busybox version
 * and reused by later runs.
 */
public final class TestImage {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static volatile String name;

    private TestImage() {
    }

    /** @return the image's tag, building the image if this dockerd does not have it yet */
    public static synchronized String get() {
        if (name != null) {
            return name;
        }
        if (!Files.isRegularFile(BUSYBOX)) {
            throw new IllegalStateException(BUSYBOX + " is missing: install Debian's busybox-static (apt-get install busybox-static)");
        }
        String tag = "docker-on-top-it-busybox:" + sha256(BUSYBOX).substring(0, 16);
        DockerClient docker = DockerClientFactory.instance().client();
        try {
            docker.inspectImageCmd(tag).exec();
        } catch (NotFoundException absent) {
            // FROM scratch has no shell: the RUN uses the exec form
            String dockerfile = "FROM scratch\n"
                    + "COPY busybox /bin/busybox\n"
                    + "RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"
                    + "RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/tmp\", \"/data\"]\n"
                    + "CMD [\"/bin/sh\"]\n";
            new ImageFromDockerfile(tag, false)
                    .withFileFromPath("busybox", BUSYBOX)
                    .withFileFromString("Dockerfile", dockerfile)
                    .get();
        }
        name = tag;
        return tag;
    }

    private static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash " + file, e);
        }
    }
}
