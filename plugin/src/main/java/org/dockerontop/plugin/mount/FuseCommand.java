package org.dockerontop.plugin.mount;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command that mounts one FUSE overlay and keeps serving it in its own process.
 *
 * @param argv   the command line without the {@code -o OPTIONS MOUNTPOINT} arguments
 * @param origin where it was found, for messages (e.g. "$DOCKER_ON_TOP_FUSE_COMMAND")
 */
public record FuseCommand(List<String> argv, String origin) {

    public static final String ENV = "DOCKER_ON_TOP_FUSE_COMMAND";
    static final String JAR = "docker-on-top-fuse.jar";
    static final String EXECUTABLE = "docker-on-top-fuse";
    /**
     * JVM options for the jar run directly: the small-daemon tuning of the launcher script
     * src/bin/docker-on-top-fuse (keep the two in sync), worth about 16 MiB of RSS per mount, plus
     * C1 only ({@code TieredStopAtLevel=1}): measured, it starts the server with about a quarter less
     * CPU and keeps about 12 MiB less RSS, while a 256 MiB dd through the mount is as fast (the data
     * path is syscalls, which C2 cannot speed up; its compilations only cost CPU and memory).
     */
    static final List<String> JVM_OPTIONS = jvmOptions(Runtime.version());

    /**
     * {@link #JVM_OPTIONS} for a JVM of version {@code v}: with {@code TrimNativeHeapInterval} where
     * that JVM knows it (17.0.9 and later 17s, 21 and later), since a JVM refuses to start with an option
     * it does not know. It hands what the native heap freed (mostly the start-up compilations' arenas,
     * ~13 MiB) back to the system every 5 s, which glibc alone does only about one time in three.
     */
    static List<String> jvmOptions(Runtime.Version v) {
        List<String> options = new java.util.ArrayList<>(List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx256m",
                "-Xss512k", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m", "-XX:TieredStopAtLevel=1",
                "-Xshare:auto", "-XX:-UsePerfData"));
        if (v.feature() >= 21 || (v.feature() == 17 && v.update() >= 9)) {
            // experimental in the 17s that first had it: unlocking is harmless where it is not
            options.addAll(List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=5000"));
        }
        return List.copyOf(options);
    }

    /**
     * The class-data-sharing archive of the FUSE server's classes, beside its jar: made at install by
     * src/fuse-cds-archive.sh (a training mount), as the launcher script uses it. The JVM maps the
     * classes instead of loading and verifying them: a fresh mount answers sooner (measured on this
     * path: 0.61 -> 0.47 s until the mount answers, the server's CPU by then 0.52 -> 0.37 s).
     */
    static final String ARCHIVE = "docker-on-top-fuse.jsa";
    /**
     * Silences what the JVM says about an archive it cannot use (one made from an earlier jar, or by
     * another JDK): it goes on without it, and the warning would otherwise land in the volume's fuse.log.
     */
    static final String ARCHIVE_LOG_OFF = "-Xlog:cds=off,cds+dynamic=off";

    public FuseCommand {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty FUSE command");
        }
    }

    /**
     * Resolves the command as the daemon does: the executable named by {@code $DOCKER_ON_TOP_FUSE_COMMAND};
     * else {@code docker-on-top-fuse.jar} beside the plugin's jar, run with this JVM's java binary
     * (and the {@link #ARCHIVE} beside it, if there is one);
     * else {@code docker-on-top-fuse} on the PATH.
     *
     * @throws StrategyUnavailableException if none is found (the message says what to install or set)
     */
    public static FuseCommand resolve() throws StrategyUnavailableException {
        return resolve(System.getenv(), codeDirectory(),
                Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    static FuseCommand resolve(Map<String, String> env, Optional<Path> pluginDir, Path java)
            throws StrategyUnavailableException {
        String configured = env.get(ENV);
        if (configured != null && !configured.isBlank()) {
            Optional<Path> exe = findExecutable(configured, env.get("PATH"));
            if (exe.isEmpty()) {
                throw new StrategyUnavailableException("$" + ENV + " names '" + configured
                        + "', which is not an executable file; point it at the docker-on-top-fuse command");
            }
            return new FuseCommand(List.of(exe.get().toString()), "$" + ENV);
        }
        if (pluginDir.isPresent()) {
            Path jar = pluginDir.get().resolve(JAR);
            if (Files.isRegularFile(jar)) {
                List<String> argv = new java.util.ArrayList<>();
                argv.add(java.toString());
                argv.addAll(JVM_OPTIONS);
                argv.addAll(archiveOptions(pluginDir.get().resolve(ARCHIVE)));
                argv.addAll(List.of("-jar", jar.toString()));
                return new FuseCommand(argv, jar.toString());
            }
        }
        Optional<Path> onPath = findExecutable(EXECUTABLE, env.get("PATH"));
        if (onPath.isPresent()) {
            return new FuseCommand(List.of(onPath.get().toString()), "PATH");
        }
        throw new StrategyUnavailableException("the FUSE overlay command was not found: no $" + ENV + ", no " + JAR
                + pluginDir.map(d -> " in " + d).orElse("") + " and no " + EXECUTABLE
                + " on the PATH; install docker-on-top-fuse or set " + ENV);
    }

    /** The options that hand {@code archive} to the JVM, or none when there is no such file. */
    static List<String> archiveOptions(Path archive) {
        return Files.isRegularFile(archive)
                ? List.of("-XX:SharedArchiveFile=" + archive, ARCHIVE_LOG_OFF)
                : List.of();
    }

    /** A name with a slash is a path; a bare name is looked up on {@code path} like a shell does. */
    static Optional<Path> findExecutable(String name, String path) {
        if (name.contains("/")) {
            Path p = Path.of(name).toAbsolutePath();
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The directory holding the jar this class was loaded from (empty when run from classes/). */
    private static Optional<Path> codeDirectory() {
        try {
            var source = FuseCommand.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path location = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(location) ? Optional.ofNullable(location.getParent()) : Optional.empty();
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether this command is docker-on-top-fuse itself: the jar run with {@code java -jar}, or an
     * executable named {@code docker-on-top-fuse} (the launcher script, possibly through a symlink).
     * That command serves in the foreground with {@code -f}, so the plugin can start it once and wait
     * for the mount itself instead of running a launcher that re-executes a second JVM. A wrapper of
     * another name, fuse-overlayfs or any other command is run as a launcher that returns once mounted.
     */
    public boolean isDockerOnTopFuse() {
        int jar = argv.indexOf("-jar");
        if (jar >= 0 && jar + 1 < argv.size()) {
            return fileName(Path.of(argv.get(jar + 1))).equals(JAR);
        }
        Path exe = Path.of(argv.get(0));
        if (fileName(exe).equals(EXECUTABLE)) {
            return true;
        }
        try {
            return argv.get(0).contains("/") && fileName(exe.toRealPath()).equals(EXECUTABLE);
        } catch (java.io.IOException | SecurityException e) {
            return false;
        }
    }

    private static String fileName(Path p) {
        Path name = p.getFileName();
        return name == null ? "" : name.toString();
    }

    @Override
    public String toString() {
        return String.join(" ", argv) + " (from " + origin + ")";
    }
}
