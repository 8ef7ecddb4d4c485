package org.dockerontop.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.testcontainers.DockerClientFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Docker, as the tests use it: volumes of one driver, short-lived and long-running containers of the
 * busybox test image with volumes mounted, exec, and {@code docker cp}. Everything created is recorded
 * and removed by {@link #cleanUp()}, so a failed test leaves nothing in the shared dockerd.
 */
public final class DockerOps {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a command printed (stdout and stderr interleaved) and its exit status. */
    public record Result(long exitCode, String output) {
        public Result assertOk(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed with exit status " + exitCode + ": " + output);
            }
            return this;
        }
    }

    private final DockerClient docker = DockerClientFactory.instance().client();
    private final String driver;
    private final String image = TestImage.get();
    private final List<String> containers = new ArrayList<>();
    private final List<String> volumes = new ArrayList<>();

    public DockerOps(String driver) {
        this.driver = driver;
    }

    public DockerClient client() {
        return docker;
    }

    /** {@code docker volume create --driver DRIVER -o k=v NAME}; throws dockerd's error as is. */
    public void createVolume(String name, Map<String, String> options) {
        docker.createVolumeCmd().withName(name).withDriver(driver).withDriverOpts(options).exec();
        volumes.add(name);
    }

    /** Removes {@code name} in {@link #cleanUp()} too: for a volume dockerd learned of by a {@code docker run}. */
    public void removeLater(String name) {
        if (!volumes.contains(name)) {
            volumes.add(name);
        }
    }

    /** @return the message dockerd answers to {@code docker volume create}, or fails if it succeeds */
    public String createVolumeError(String name, Map<String, String> options) {
        try {
            createVolume(name, options);
        } catch (DockerException refused) {
            return refused.getMessage();
        }
        throw new AssertionError("docker volume create " + name + " " + options + " succeeded but should fail");
    }

    public void removeVolume(String name) {
        docker.removeVolumeCmd(name).exec();
        volumes.remove(name);
    }

    /**
     * @return the names of this driver's volumes in {@code docker volume ls --filter driver=DRIVER}. The
     * filter matters: without it dockerd asks every volume plugin it ever talked to, and each one that is
     * gone (an earlier test's daemon) costs a 15-30 s connection retry.
     */
    public List<String> listVolumes() {
        List<String> names = new ArrayList<>();
        var listed = docker.listVolumesCmd().withFilter("driver", List.of(driver)).exec().getVolumes();
        if (listed != null) {
            listed.forEach(v -> {
                if (driver.equals(v.getDriver())) {
                    names.add(v.getName());
                }
            });
        }
        return names;
    }

    /** {@code docker volume inspect NAME} as dockerd's raw JSON (with the plugin's Status). */
    public JsonNode inspectVolume(String name) throws IOException {
        UnixHttp.Reply reply = UnixHttp.request(dockerSocket(), "GET", "/volumes/" + name, null);
        if (reply.status() != 200) {
            throw new IOException("docker volume inspect " + name + ": " + reply.status() + " " + reply.body());
        }
        return JSON.readTree(reply.body());
    }

    private static Path dockerSocket() {
        String host = System.getenv("DOCKER_HOST");
        if (host != null && host.startsWith("unix://")) {
            return Path.of(host.substring("unix://".length()));
        }
        return Path.of("/var/run/docker.sock");
    }

    /** Runs {@code command} to completion in a new container with {@code volume} at /data. */
    public Result run(String volume, String... command) {
        return runAs(null, Map.of(volume, "/data"), command);
    }

    /**
     * Runs a command to completion in a new container.
     *
     * @param user    container user (uid[:gid]) or null for root
     * @param volumes volume name to container path
     */
    public Result runAs(String user, Map<String, String> volumes, String... command) {
        String id = create(user, volumes, command);
        docker.startContainerCmd(id).exec();
        Integer status = docker.waitContainerCmd(id).start().awaitStatusCode(120, TimeUnit.SECONDS);
        String output = logs(id);
        removeContainer(id);
        return new Result(status, output);
    }

    /** Starts a container that keeps running (and so keeps its volumes mounted) until {@link #stop}. */
    public String start(String volume) {
        return start(null, Map.of(volume, "/data"));
    }

    public String start(String user, Map<String, String> volumes) {
        // trap: a shell as PID 1 ignores SIGTERM, and the tests should not wait for docker's kill timeout
        String id = create(user, volumes, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done");
        docker.startContainerCmd(id).exec();
        return id;
    }

    /** Stops the container (dockerd then unmounts its volumes) and removes it. */
    public void stop(String id) {
        try {
            docker.stopContainerCmd(id).withTimeout(10).exec();
        } catch (NotFoundException gone) {
            return;
        } catch (DockerException notRunning) {
            // "container already stopped" answers 304; docker-java reports it as an exception on some versions
        }
        removeContainer(id);
    }

    public Result exec(String id, String... command) {
        return execAs(id, null, command);
    }

    public Result execAs(String id, String user, String... command) {
        var create = docker.execCreateCmd(id).withCmd(command).withAttachStdout(true).withAttachStderr(true);
        if (user != null) {
            create.withUser(user);
        }
        String execId = create.exec().getId();
        StringBuilder out = new StringBuilder();
        try {
            docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Long exit = docker.inspectExecCmd(execId).exec().getExitCodeLong();
        return new Result(exit == null ? -1 : exit, out.toString());
    }

    /** {@code docker cp HOSTFILE CONTAINER:DIR} (the container must be running for the plugin to see Mount). */
    public void copyToContainer(String id, Path hostFile, String containerDir) {
        docker.copyArchiveToContainerCmd(id).withHostResource(hostFile.toString()).withRemotePath(containerDir).exec();
    }

    /** {@code docker cp CONTAINER:FILE -}: the file's content. */
    public String copyFromContainer(String id, String containerFile) throws IOException {
        try (InputStream raw = docker.copyArchiveFromContainerCmd(id, containerFile).exec();
             TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
            TarArchiveEntry entry = tar.getNextTarEntry();
            if (entry == null) {
                throw new IOException("docker cp " + id + ":" + containerFile + " returned an empty archive");
            }
            return new String(tar.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public boolean isRunning(String id) {
        Boolean running = docker.inspectContainerCmd(id).exec().getState().getRunning();
        return Boolean.TRUE.equals(running);
    }

    private String create(String user, Map<String, String> volumes, String... command) {
        List<Bind> binds = new ArrayList<>();
        new LinkedHashMap<>(volumes).forEach((volume, path) -> binds.add(new Bind(volume, new Volume(path))));
        CreateContainerCmd create = docker.createContainerCmd(image)
                .withCmd(command)
                .withLabels(Map.of("org.dockerontop.it", driver))
                .withHostConfig(HostConfig.newHostConfig().withBinds(binds).withVolumeDriver(driver).withNetworkMode("none"));
        if (user != null) {
            create.withUser(user);
        }
        String id = create.exec().getId();
        containers.add(id);
        return id;
    }

    private String logs(String id) {
        StringBuilder out = new StringBuilder();
        try {
            docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(false)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    }).awaitCompletion(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private void removeContainer(String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException gone) {
            // already removed
        }
        containers.remove(id);
    }

    /** Removes every container and volume this object created; reports what could not be removed. */
    public List<String> cleanUp() {
        List<String> problems = new ArrayList<>();
        for (String id : List.copyOf(containers)) {
            try {
                removeContainer(id);
            } catch (RuntimeException e) {
                problems.add("container " + id + ": " + e.getMessage());
            }
        }
        // only names dockerd knows: removing an unknown name makes dockerd ask every plugin it ever knew
        List<String> known = volumes.isEmpty() ? List.of() : listVolumes();
        for (String name : List.copyOf(volumes)) {
            if (!known.contains(name)) {
                volumes.remove(name);
                continue;
            }
            try {
                removeVolume(name);
            } catch (NotFoundException gone) {
                volumes.remove(name);
            } catch (RuntimeException e) {
                problems.add("volume " + name + ": " + e.getMessage());
            }
        }
        return problems;
    }
}
