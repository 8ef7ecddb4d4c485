package org.dockerontop.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The plugin daemon under test, run the way users run it: {@code java -jar docker-on-top.jar} as its
 * own process, under a driver name no one else uses, with its state in a temporary root. Its FUSE
 * mounts are made by the real {@code docker-on-top-fuse.jar} through a launcher script. Everything it
 * prints goes to one log file that survives restarts, so a failing test can show it.
 */
public final class PluginProcess {
    private static final Path PLUGIN_DIR = Path.of("/run/docker/plugins");

    private final String name;
    private final Path root;
    private final String strategy;
    private final Path log;
    private final Path fuseLauncher;
    private Process process;

    /**
     * @param name     driver name (socket /run/docker/plugins/NAME.sock)
     * @param root     the daemon's state directory
     * @param strategy the daemon's --strategy
     * @param workDir  where the log file and the FUSE launcher go
     */
    public PluginProcess(String name, Path root, String strategy, Path workDir) throws IOException {
        this.name = name;
        this.root = root;
        this.strategy = strategy;
        this.log = workDir.resolve(name + ".log");
        this.fuseLauncher = writeFuseLauncher(workDir);
    }

    public String name() {
        return name;
    }

    public Path root() {
        return root;
    }

    public Path socket() {
        return PLUGIN_DIR.resolve(name + ".sock");
    }

    public Path logFile() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Starts the daemon and waits until its socket answers Plugin.Activate. */
    public void start() throws IOException, InterruptedException {
        if (isAlive()) {
            throw new IllegalStateException("plugin " + name + " is already running");
        }
        Path jar = requiredJar("dot.pluginJar", "plugin/target/docker-on-top.jar");
        List<String> command = new ArrayList<>(List.of(java(), "-jar", jar.toString(),
                "--name", name, "--root", root.toString(), "--strategy", strategy));
        String level = System.getProperty("dot.logLevel", "debug");
        if (!level.isEmpty()) {
            command.addAll(List.of("--log-level", level));
        }
        Files.writeString(log, "==== " + Instant.now() + " " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("DOCKER_ON_TOP_FUSE_COMMAND", fuseLauncher.toString());
        process = builder.start();
        awaitSocket(Duration.ofSeconds(60));
    }

    private void awaitSocket(Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("plugin " + name + " exited with status " + process.exitValue()
                        + " before its socket answered; its log:\n" + log());
            }
            if (Files.exists(socket())) {
                try {
                    UnixHttp.Reply reply = UnixHttp.request(socket(), "POST", "/Plugin.Activate", "{}");
                    if (reply.status() == 200 && reply.body().contains("VolumeDriver")) {
                        return;
                    }
                    last = new IOException("Plugin.Activate answered " + reply);
                } catch (IOException notYet) {
                    last = notYet;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("plugin " + name + " did not answer on " + socket() + " within " + timeout
                + " (last error: " + last + "); its log:\n" + log());
    }

    /** SIGKILL: the daemon gets no chance to clean up, as in a crash or an OOM kill. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM, then SIGKILL if the daemon has not exited within 30 s. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** @return exit status of the last run, or null while it runs */
    public Integer exitStatus() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    /** @return the whole log of every start of this daemon */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log yet)";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static Path requiredJar(String property, String relative) {
        String configured = System.getProperty(property);
        Path jar = configured != null ? Path.of(configured) : Path.of("..").resolve(relative);
        jar = jar.toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build it first (mvn -B verify from the top"
                    + " directory builds it before the integration tests)");
        }
        return jar;
    }

    /**
     * The FUSE command the daemon runs: the repository's launcher (src/bin/docker-on-top-fuse, with the
     * JVM options users get) on the freshly built jar and the test's java. Written even when the jar is
     * missing, so that a suite that never mounts with FUSE can run; it then fails with a clear message.
     */
    private static Path writeFuseLauncher(Path workDir) throws IOException {
        String configured = System.getProperty("dot.fuseJar");
        Path fuseJar = (configured != null ? Path.of(configured) : Path.of("../fuse/target/docker-on-top-fuse.jar"))
                .toAbsolutePath().normalize();
        Path repoLauncher = fuseJar.getParent().getParent().getParent().resolve("src/bin/docker-on-top-fuse");
        Path launcher = workDir.resolve("docker-on-top-fuse");
        if (!Files.exists(launcher)) {
            String run = Files.isExecutable(repoLauncher)
                    ? "export JAVA='" + java() + "' DOCKER_ON_TOP_FUSE_JAR='" + fuseJar + "'\nexec '" + repoLauncher + "' \"$@\"\n"
                    : "exec '" + java() + "' -jar '" + fuseJar + "' \"$@\"\n";
            Files.writeString(launcher, "#!/bin/sh\n"
                    + "[ -f '" + fuseJar + "' ] || { echo 'docker-on-top-fuse: " + fuseJar + " is not built' >&2; exit 1; }\n"
                    + run);
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return launcher;
    }
}
