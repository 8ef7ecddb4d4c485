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
 * no registry can be reached (it/src/test/resources/busybox-image/Dockerfile). Tagged with the hash of
 * the binary and the Dockerfile, so it is built once per version of either and reused by later runs;
 * .ci/run builds the same tag before the tests.
 */
public final class TestImage {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String DOCKERFILE = "busybox-image/Dockerfile";
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
        String tag = "docker-on-top-it-busybox:" + sha256(BUSYBOX, DOCKERFILE).substring(0, 16);
        DockerClient docker = DockerClientFactory.instance().client();
        try {
            docker.inspectImageCmd(tag).exec();
        } catch (NotFoundException absent) {
            new ImageFromDockerfile(tag, false)
                    .withFileFromPath("busybox", BUSYBOX)
                    .withFileFromClasspath("Dockerfile", DOCKERFILE)
                    .get();
        }
        name = tag;
        return tag;
    }

    /** The hash of the binary followed by the Dockerfile: {@code cat /bin/busybox Dockerfile | sha256sum}. */
    private static String sha256(Path file, String resource) {
        try (InputStream in = Files.newInputStream(file);
             InputStream dockerfile = TestImage.class.getClassLoader().getResourceAsStream(resource)) {
            if (dockerfile == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(in.readAllBytes());
            digest.update(dockerfile.readAllBytes());
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash " + file + " and " + resource, e);
        }
    }
}
