package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.MountEntry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Shared set-up for tests that mount for real: layer directories, the FUSE command, clean-up. */
public final class TestMounts {
    static final Path FUSE_OVERLAYFS = Path.of("/usr/bin/fuse-overlayfs");

    private TestMounts() {
    }

    /**
     * The FUSE command under test: our docker-on-top-fuse.jar when the fuse module has built it,
     * else Debian's fuse-overlayfs (same command line). {@code -Ddockerontop.test.fuse=fuse-overlayfs}
     * forces the latter.
     */
    static List<String> fuseCommand() {
        Path jar = ourFuseJar();
        if (!"fuse-overlayfs".equals(System.getProperty("dockerontop.test.fuse")) && Files.isRegularFile(jar)) {
            // as the daemon runs the jar beside its own (FuseCommand.resolve)
            List<String> argv = new ArrayList<>();
            argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            argv.addAll(FuseCommand.JVM_OPTIONS);
            argv.addAll(List.of("-jar", jar.toString()));
            return argv;
        }
        return List.of(FUSE_OVERLAYFS.toString());
    }

    static Path ourFuseJar() {
        // surefire runs with the module directory (plugin/) as working directory
        return Path.of("..", "fuse", "target", "docker-on-top-fuse.jar").toAbsolutePath().normalize();
    }

    static boolean usesFuseOverlayfs() {
        return fuseCommand().get(0).equals(FUSE_OVERLAYFS.toString());
    }

    static FuseProcessStrategy fuse() {
        return new FuseProcessStrategy(fuseCommand());
    }

    /** lower/ upper/ work/ mountpoint/ under {@code dir}, with one file in lower. */
    static Layers layers(Path dir) throws IOException {
        Layers l = new Layers(dir.resolve("lower"), dir.resolve("upper"), dir.resolve("work"), dir.resolve("mountpoint"));
        for (Path p : List.of(l.lower(), l.upper(), l.work(), l.mountpoint())) {
            Files.createDirectories(p);
        }
        Files.writeString(l.lower().resolve("base.txt"), "from the base\n");
        return l;
    }

    /** Safety net for @AfterEach: detach every mount under {@code dir} and stop what serves it. */
    static void unmountAllUnder(Path dir) throws InterruptedException {
        Path root = dir.toAbsolutePath().normalize();
        List<MountEntry> mounts = new ArrayList<>(ExistingMounts.table().under(root));
        java.util.Collections.reverse(mounts);
        for (MountEntry m : mounts) {
            List<ProcessHandle> servers = FuseProcesses.serving(m.mountpoint());
            try {
                KernelOverlayMount.detach(m.mountpoint());
            } catch (MountException e) {
                // already gone: nothing to detach
            }
            FuseProcesses.stop(servers, Duration.ofSeconds(2));
        }
    }

    /** Runs a command to its end. @return its exit code and merged output */
    static Result run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    /**
     * Stops {@code server} with SIGSTOP and waits until every one of its threads is stopped. kill(2)
     * only queues the signal: a worker thread of a busy JVM may still answer one more FUSE request
     * before it is scheduled and stops, which made a probe right after the kill see a live server.
     */
    public static void freeze(ProcessHandle server) throws IOException, InterruptedException {
        if (run("kill", "-STOP", Long.toString(server.pid())).exit() != 0) {
            throw new IOException("kill -STOP " + server.pid() + " failed");
        }
        Path tasks = Path.of("/proc", Long.toString(server.pid()), "task");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!allStopped(tasks)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("process " + server.pid() + " did not stop within 10 s");
            }
            Thread.sleep(10);
        }
    }

    private static boolean allStopped(Path tasks) throws IOException {
        try (var threads = Files.list(tasks)) {
            return threads.allMatch(t -> {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    // the state follows the command name, which is in parentheses and may hold spaces
                    char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    return state == 'T' || state == 't';
                } catch (IOException e) {
                    return true; // the thread has exited
                }
            });
        }
    }

    record Result(int exit, String output) {
    }

    static boolean isMounted(Path mountpoint) {
        return ExistingMounts.entryAt(mountpoint).isPresent();
    }
}
