package org.dockerontop.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real docker-on-top-fuse mount of temp-dir layers for tests: its server started in the foreground
 * ({@link ForegroundServer}), unmounted on close, which the server must then exit on.
 */
public final class OverlayMount implements AutoCloseable {
    public final Path lower;
    public final Path upper;
    public final Path work;
    public final Path mnt;
    private ForegroundServer server;

    public OverlayMount(Path root) throws IOException {
        this.lower = Files.createDirectories(root.resolve("lower"));
        this.upper = Files.createDirectories(root.resolve("upper"));
        this.work = Files.createDirectories(root.resolve("work"));
        this.mnt = Files.createDirectories(root.resolve("mnt"));
    }

    /** The command line that runs docker-on-top-fuse with the test classpath and {@code args}. */
    public static List<String> serverCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xmx256m");
        // as the command's background mode adds for its server
        cmd.add("-Xss512k");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FuseMain.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** Runs the command with the test classpath (and the suite's loop); returns its exit status and output. */
    public static Result command(String... args) throws IOException, InterruptedException {
        List<String> cmd = serverCommand(args);
        cmd.addAll(loopArgs());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("command did not return: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * {@code -o loop=java} when the suite runs with {@code -Ddot.fuse.loop=java} (every mount then
     * served by JavaLoop), else nothing: the default loop.
     */
    public static List<String> loopArgs() {
        String loop = System.getProperty("dot.fuse.loop", "").trim();
        return loop.isEmpty() ? List.of() : List.of("-o", "loop=" + loop);
    }

    /**
     * Does the suite's FUSE server run on our own loop ({@link JavaLoop})? Decided by the server's
     * own option parser on the suite's loop arguments, so that it follows a change of the
     * default; without the option that is our loop, as the suite runs as root, where mount(2) is
     * permitted (libfuse is the fallback only where it is refused). Tests of what only our loop
     * can do skip on libfuse's.
     */
    public static boolean javaLoop() {
        List<String> args = new ArrayList<>(List.of("-o", "lowerdir=/l,upperdir=/u,workdir=/w", "/m"));
        args.addAll(loopArgs());
        try {
            return MountOptions.parse(args.toArray(new String[0])).loop != Loop.LIBFUSE;
        } catch (MountOptions.UsageException e) {
            throw new IllegalStateException("dot.fuse.loop: " + e.getMessage(), e);
        }
    }

    public record Result(int status, String output) {
    }

    public String options() {
        return "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
    }

    public OverlayMount mount() throws IOException, InterruptedException {
        return mount("");
    }

    /** Mounts with {@code extraOptions} (",opt=value...") after the layer options. */
    public OverlayMount mount(String extraOptions) throws IOException, InterruptedException {
        List<String> cmd = serverCommand("-f", "-o", options() + extraOptions, mnt.toString());
        cmd.addAll(loopArgs());
        server = ForegroundServer.start(cmd, java.util.Map.of(), mnt);
        return this;
    }

    /**
     * Mounts through the command's background mode, as a user's {@code docker-on-top-fuse -o ... MNT}
     * does: returns once the command has, leaving a detached server that {@link #unmount} does not wait for.
     *
     * @throws IOException if the command exits non-zero (its output in the message)
     */
    public OverlayMount mountInBackground() throws IOException, InterruptedException {
        Result r = command("-o", options(), mnt.toString());
        if (r.status() != 0) {
            throw new IOException("mount failed (" + r.status() + "): " + r.output());
        }
        server = null;
        return this;
    }

    /**
     * What the server started by {@link #mount} prints: its log (a {@code log=FILE} option is for the
     * command's background mode only).
     */
    public Path serverOutput() {
        return ForegroundServer.outputOf(mnt);
    }

    public boolean isMounted() throws IOException {
        return isOurMount(mnt);
    }

    /** Is one of our filesystem's mounts at {@code mountpoint} now? */
    static boolean isOurMount(Path mountpoint) throws IOException {
        Path real = mountpoint.toRealPath();
        return org.dockerontop.overlay.mount.MountTable.read().entries().stream()
                .anyMatch(m -> m.fsType().equals(FuseMain.FSTYPE) && m.mountpoint().equals(real));
    }

    /**
     * Unmounts (lazily if {@code fusermount -u} cannot) and waits for the server this object started.
     *
     * @throws AssertionError if that server is still running 20 s after the unmount
     */
    public void unmount() throws IOException, InterruptedException {
        if (isMounted()) {
            Process p = new ProcessBuilder("fusermount", "-u", mnt.toString()).inheritIO().start();
            p.waitFor(30, TimeUnit.SECONDS);
            if (isMounted()) {
                new ProcessBuilder("umount", "-l", mnt.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
            }
        }
        ForegroundServer s = server;
        server = null;
        if (s != null) {
            s.awaitExit(20);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        unmount();
    }

    /** Runs a shell command (as root, or as nobody with {@code asNobody}); returns status and output. */
    public static Result sh(boolean asNobody, String script) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        cmd.addAll(List.of("/bin/sh", "-c", script));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(60, TimeUnit.SECONDS);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
