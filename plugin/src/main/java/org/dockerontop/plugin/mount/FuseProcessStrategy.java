package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.Syscalls;

import org.dockerontop.plugin.volume.VolumeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Mounts {@link Layers} with the userspace FUSE overlay, each mount served by its own detached
 * process, so that restarting, upgrading or killing the plugin never breaks a running container's
 * volume.
 *
 * <p>The command ({@link FuseCommand}) is run as {@code CMD -o lowerdir=L,upperdir=U,workdir=W,log=LOG MOUNTPOINT}.
 * docker-on-top-fuse itself ({@link FuseCommand#isDockerOnTopFuse()}) also gets {@code -f}: the
 * process started is the server, and the plugin waits until the mount shows in the mount table and
 * answers (one JVM start instead of a launcher JVM that re-executes the server JVM). Any other command
 * (fuse-overlayfs, a wrapper) is a launcher that returns once the mount answers, leaving a background
 * server; the plugin waits for the launcher.
 *
 * <p>Either way the server must not share anything with the plugin that dies with it: it starts in
 * its own session (so a Ctrl-C or SIGHUP to the plugin's process group does not reach it), with stdin
 * from /dev/null and output appended to {@code fuse.log} in the volume's state directory (the parent
 * of the upper directory), never to a pipe the plugin would hold.
 */
public final class FuseProcessStrategy implements MountStrategy {
    public static final String NAME = "fuse";
    /** Output of the FUSE command and its server, in the volume's state directory. */
    public static final String LOG_FILE = "fuse.log";

    static final Duration DEFAULT_MOUNT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final long LOG_ROTATE_BYTES = 1 << 20;
    private static final int OUTPUT_IN_MESSAGE = 2000;
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /** How often the mount table is checked while a server starts. */
    private static final Duration POLL = Duration.ofMillis(10);
    private static final Logger log = LoggerFactory.getLogger(FuseProcessStrategy.class);

    private final FuseCommand command;
    private final Duration mountTimeout;
    private final Duration exitTimeout;

    /** Resolves the command at each mount, as documented on {@link FuseCommand#resolve()}. */
    public FuseProcessStrategy() {
        this(null, DEFAULT_MOUNT_TIMEOUT, DEFAULT_EXIT_TIMEOUT);
    }

    /** Uses {@code command} (e.g. {@code List.of("/usr/bin/fuse-overlayfs")}) instead of resolving one. */
    public FuseProcessStrategy(List<String> command) {
        this(new FuseCommand(command, "configuration"), DEFAULT_MOUNT_TIMEOUT, DEFAULT_EXIT_TIMEOUT);
    }

    FuseProcessStrategy(FuseCommand command, Duration mountTimeout, Duration exitTimeout) {
        this.command = command;
        this.mountTimeout = mountTimeout;
        this.exitTimeout = exitTimeout;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Starts the FUSE command and returns once the mount answers.
     *
     * @throws StrategyUnavailableException if FUSE cannot work on this host (no usable /dev/fuse, no
     *                                      FUSE command, or the command reports that mounting is not permitted)
     * @throws VolumeException              if the command fails or does not mount within the timeout
     *                                      (its exit code and output are in the message); nothing is
     *                                      left mounted and no process is left running
     */
    @Override
    public MountResult mount(Layers layers) throws VolumeException {
        Path mountpoint = layers.mountpoint().toAbsolutePath().normalize();
        FuseDevice.check();
        FuseCommand cmd = command != null ? command : FuseCommand.resolve();
        if (FuseCommand.findExecutable(cmd.argv().get(0), System.getenv("PATH")).isEmpty()) {
            throw new StrategyUnavailableException("the FUSE overlay command " + cmd + " is not an executable file;"
                    + " install docker-on-top-fuse or set " + FuseCommand.ENV);
        }

        // without setsid(1) only docker-on-top-fuse's own daemon mode puts the server in a session of its own
        boolean foreground = cmd.isDockerOnTopFuse() && Files.isExecutable(SETSID);
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            argv.add(SETSID.toString());
        }
        argv.addAll(cmd.argv());
        if (foreground) {
            argv.add("-f");
        }
        Path logFile = logFile(layers);
        argv.add("-o");
        // log=: where docker-on-top-fuse's server writes once detached (fuse-overlayfs ignores it)
        argv.add(OverlayOptions.of(layers) + ",log=" + OverlayOptions.escape(logFile));
        argv.add(mountpoint.toString());

        long logStart = openLog(logFile, argv);
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(new File("/"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true);

        OptionalInt mountBefore = ExistingMounts.entryAt(mountpoint).map(m -> OptionalInt.of(m.id())).orElse(OptionalInt.empty());
        long started = System.nanoTime();
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new StrategyUnavailableException("cannot run the FUSE overlay command " + cmd + ": " + e.getMessage()
                    + "; install docker-on-top-fuse or set " + FuseCommand.ENV, e);
        }
        try {
            if (foreground) {
                awaitServerMount(process, mountpoint, mountBefore, logFile, logStart);
            } else {
                awaitLauncher(process, mountpoint, logFile, logStart);
            }
        } catch (InterruptedException e) {
            abandon(process, mountpoint);
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted while mounting " + mountpoint + " with FUSE", e);
        }
        log.info("mounted {} with FUSE ({}) in {} ms, served by process {}", mountpoint, cmd,
                (System.nanoTime() - started) / 1_000_000,
                FuseProcesses.describe(FuseProcesses.serving(mountpoint)));
        return new MountResult(NAME, "requested");
    }

    /**
     * docker-on-top-fuse started with {@code -f}: {@code server} is the process that will serve the
     * mount, so there is one JVM start and the plugin itself waits until the mount shows in the mount
     * table and answers. The server is our child only until the plugin exits: it has its own session
     * and no pipe to us, so a kill -9 of the plugin leaves it serving.
     */
    private void awaitServerMount(Process server, Path mountpoint, OptionalInt mountBefore, Path logFile, long logStart)
            throws VolumeException, InterruptedException {
        long deadline = System.nanoTime() + mountTimeout.toNanos();
        while (true) {
            if (isNewFuseMountAt(mountpoint, mountBefore)) {
                Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0));
                ExistingMounts.Health health = ExistingMounts.probe(mountpoint,
                        left.compareTo(ExistingMounts.PROBE_TIMEOUT) < 0 ? left : ExistingMounts.PROBE_TIMEOUT);
                if (health == ExistingMounts.Health.ANSWERING) {
                    return;
                }
                // not answering yet: the server dies (seen below) or answers, or the deadline ends it
            }
            if (!server.isAlive()) {
                int exit = server.exitValue();
                if (exit == 0 && isNewFuseMountAt(mountpoint, mountBefore)
                        && ExistingMounts.probe(mountpoint) == ExistingMounts.Health.ANSWERING) {
                    return; // it detached after all and left a server behind that answers
                }
                cleanUpFailedMount(mountpoint);
                String output = readFrom(logFile, logStart);
                String message = "the FUSE overlay server exited with exit code " + exit + " before its mount at "
                        + mountpoint + " answered" + outputSuffix(output);
                if (refusesFuse(output)) {
                    throw new StrategyUnavailableException(message);
                }
                throw new VolumeException(message);
            }
            if (System.nanoTime() - deadline >= 0) {
                abandon(server, mountpoint);
                throw new VolumeException("the FUSE overlay server did not mount " + mountpoint + " within "
                        + mountTimeout.toSeconds() + " s and was stopped" + outputSuffix(logFile, logStart));
            }
            server.waitFor(POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Any other command: a launcher that returns once the mount answers, leaving a detached server. */
    private void awaitLauncher(Process launcher, Path mountpoint, Path logFile, long logStart)
            throws VolumeException, InterruptedException {
        if (!launcher.waitFor(mountTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            abandon(launcher, mountpoint);
            throw new VolumeException("the FUSE overlay command did not mount " + mountpoint + " within "
                    + mountTimeout.toSeconds() + " s and was stopped" + outputSuffix(logFile, logStart));
        }
        int exit = launcher.exitValue();
        if (exit != 0) {
            cleanUpFailedMount(mountpoint);
            String output = readFrom(logFile, logStart);
            String message = "the FUSE overlay command failed to mount " + mountpoint + " (exit code " + exit + ")"
                    + outputSuffix(output);
            if (refusesFuse(output)) {
                throw new StrategyUnavailableException(message);
            }
            throw new VolumeException(message);
        }
        Optional<MountEntry> mounted = ExistingMounts.entryAt(mountpoint);
        if (mounted.isEmpty() || !ExistingMounts.isFuseType(mounted.get().fsType())) {
            cleanUpFailedMount(mountpoint);
            throw new VolumeException("the FUSE overlay command exited successfully but " + mountpoint
                    + " is not a FUSE mount" + mounted.map(m -> " (found " + m.fsType() + ")").orElse("")
                    + outputSuffix(logFile, logStart));
        }
        ExistingMounts.Health health = ExistingMounts.probe(mountpoint);
        if (health != ExistingMounts.Health.ANSWERING) {
            cleanUpFailedMount(mountpoint);
            throw new VolumeException("the FUSE overlay mount at " + mountpoint + " does not answer ("
                    + health.name().toLowerCase(java.util.Locale.ROOT) + ")" + outputSuffix(logFile, logStart));
        }
    }

    /** A FUSE mount on top at {@code mountpoint} other than the one that was there before (by mount id). */
    private static boolean isNewFuseMountAt(Path mountpoint, OptionalInt mountBefore) {
        Optional<MountEntry> m = ExistingMounts.entryAt(mountpoint);
        return m.isPresent() && ExistingMounts.isFuseType(m.get().fsType())
                && (mountBefore.isEmpty() || m.get().id() != mountBefore.getAsInt());
    }

    /** Stops a process we started (and whatever it started) and removes what it may have mounted. */
    private static void abandon(Process process, Path mountpoint) {
        List<ProcessHandle> ours = new ArrayList<>(process.descendants().toList());
        ours.add(process.toHandle());
        try {
            cleanUpFailedMount(mountpoint);
            if (!FuseProcesses.stop(ours, Duration.ofSeconds(2))) {
                log.warn("process {} of a failed FUSE mount at {} did not exit", FuseProcesses.describe(ours), mountpoint);
            }
        } catch (InterruptedException e) {
            ours.forEach(ProcessHandle::destroyForcibly);
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Unmounts the FUSE overlay at {@code mountpoint} and waits (bounded) for its serving process to
     * exit; a server that outlives the timeout is stopped so that nothing leaks. Nothing mounted is
     * not an error (a leftover server is still stopped).
     *
     * @throws VolumeException if the mount is busy (the message names who uses it; the mount stays as it
     *                         was), if something other than a FUSE mount sits there, or if umount fails
     */
    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        List<ProcessHandle> servers = FuseProcesses.serving(mp);
        Optional<MountEntry> mounted = ExistingMounts.entryAt(mp);
        try {
            if (mounted.isEmpty()) {
                if (!servers.isEmpty()) {
                    log.warn("nothing is mounted at {} but FUSE process {} still names it; stopping it", mp,
                            FuseProcesses.describe(servers));
                    FuseProcesses.stop(servers, exitTimeout);
                }
                return;
            }
            if (!ExistingMounts.isFuseType(mounted.get().fsType())) {
                throw new VolumeException(mp + " holds a " + mounted.get().fsType()
                        + " mount, not a FUSE overlay; it was left mounted");
            }
            try {
                KernelOverlayMount.unmount(mp);
            } catch (MountException e) {
                if (e.errno() == Syscalls.EBUSY) {
                    throw new VolumeException(BusyReport.describe(mp));
                }
                if (e.errno() != Syscalls.EINVAL) { // EINVAL: gone already, e.g. fusermount -u by hand
                    throw new VolumeException("cannot unmount the FUSE overlay: " + e.getMessage(), e);
                }
            }
            if (!FuseProcesses.awaitExit(servers, exitTimeout)) {
                log.warn("FUSE process {} still runs {} s after {} was unmounted (is the mount still used in another"
                        + " mount namespace?); stopping it", FuseProcesses.describe(servers), exitTimeout.toSeconds(), mp);
                FuseProcesses.stop(servers, Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted while unmounting " + mp, e);
        }
    }

    /** Leaves nothing behind after a failed mount: no mount at the mountpoint, no serving process. */
    private static void cleanUpFailedMount(Path mountpoint) throws InterruptedException {
        List<ProcessHandle> servers = FuseProcesses.serving(mountpoint);
        Optional<MountEntry> mounted = ExistingMounts.entryAt(mountpoint);
        if (mounted.isPresent() && ExistingMounts.isFuseType(mounted.get().fsType())) {
            try {
                KernelOverlayMount.detach(mountpoint);
            } catch (MountException e) {
                log.warn("cannot detach the failed FUSE mount: {}", e.getMessage());
            }
        }
        if (!servers.isEmpty() && !FuseProcesses.stop(servers, Duration.ofSeconds(2))) {
            log.warn("FUSE process {} of a failed mount at {} did not exit", FuseProcesses.describe(servers), mountpoint);
        }
    }

    /** Output that means FUSE itself cannot be used here, as opposed to a failure of this one mount. */
    static boolean refusesFuse(String output) {
        String o = output.toLowerCase(java.util.Locale.ROOT);
        return o.contains("fuse: device not found")
                || o.contains("/dev/fuse")
                || (o.contains("fusermount") && (o.contains("not found") || o.contains("no such file")))
                || o.contains("operation not permitted");
    }

    static Path logFile(Layers layers) {
        Path stateDir = layers.upper().toAbsolutePath().normalize().getParent();
        return (stateDir != null ? stateDir : layers.upper()).resolve(LOG_FILE);
    }

    /** Rotates a large log, appends a header for this run, and returns where this run's output starts. */
    private static long openLog(Path logFile, List<String> argv) throws VolumeException {
        try {
            if (Files.exists(logFile) && Files.size(logFile) > LOG_ROTATE_BYTES) {
                Files.move(logFile, logFile.resolveSibling(LOG_FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(logFile, Instant.now() + " " + String.join(" ", argv) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return Files.size(logFile);
        } catch (IOException e) {
            throw new VolumeException("cannot write the FUSE log " + logFile + ": " + e.getMessage(), e);
        }
    }

    private static String readFrom(Path logFile, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long from = Math.max(offset, f.length() - OUTPUT_IN_MESSAGE);
            byte[] bytes = new byte[(int) Math.max(0, f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String outputSuffix(Path logFile, long offset) {
        return outputSuffix(readFrom(logFile, offset));
    }

    private static String outputSuffix(String output) {
        return output.isEmpty() ? "" : "; its output: " + output.replace('\n', ' ').strip();
    }
}
