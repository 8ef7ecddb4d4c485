package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.ProcFs;
import org.dockerontop.overlay.mount.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds and stops the processes that serve a FUSE mount. A FUSE server is detached from the plugin
 * (it must outlive it), so after a plugin restart the only link left is the process itself: it has
 * the mountpoint among its arguments and holds /dev/fuse open. Requiring both keeps an unrelated
 * process that merely names the path (an {@code ls}, an editor) from ever being signalled.
 */
final class FuseProcesses {
    private static final Path PROC = Path.of("/proc");

    private FuseProcesses() {
    }

    /** Processes serving a FUSE mount at {@code mountpoint} (the launcher too, while it still runs). */
    static List<ProcessHandle> serving(Path mountpoint) {
        Set<String> names = spellings(mountpoint);
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = ProcFs.processes()) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid != self && namesAny(proc, names) && holdsDevFuse(proc)) {
                    ProcessHandle.of(pid).ifPresent(found::add);
                }
            }
        } catch (IOException e) {
            // /proc unreadable: nothing we could signal anyway.
        }
        return found;
    }

    /**
     * Waits until every process has exited. A zombie counts as exited: a server re-adopted after a
     * plugin restart is the child of init, which may reap it late (one to two seconds on some VMs'
     * inits), while {@link ProcessHandle#isAlive()} stays true until it is reaped.
     *
     * @return false if some are still alive after {@code timeout}
     */
    static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle p : processes) {
            while (isRunning(p)) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                Thread.sleep(20);
            }
        }
        return true;
    }

    /** SIGTERM, then SIGKILL for whatever is still alive after {@code grace}. @return true if all are gone */
    static boolean stop(List<ProcessHandle> processes, Duration grace) throws InterruptedException {
        for (ProcessHandle p : processes) {
            p.destroy();
            Syscalls.resume(p.pid()); // a stopped (hung) server would otherwise sit on the SIGTERM until SIGKILL
        }
        if (awaitExit(processes, grace)) {
            return true;
        }
        processes.stream().filter(FuseProcesses::isRunning).forEach(ProcessHandle::destroyForcibly);
        return awaitExit(processes, Duration.ofSeconds(5));
    }

    /**
     * Alive and not a zombie: exited but not yet reaped by its parent, which /proc/PID/stat shows as
     * state Z. The main thread of a multi-threaded process shows Z as soon as it has exited, while its
     * other threads may still be exiting (and still hold /dev/fuse open), so a zombie also has to be
     * the only task left.
     */
    static boolean isRunning(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(PROC.resolve(p.pid() + "/stat"));
            int end = stat.lastIndexOf(')');
            if (end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z') {
                return true;
            }
            try (var tasks = Files.list(PROC.resolve(p.pid() + "/task"))) {
                return tasks.limit(2).count() > 1;
            }
        } catch (IOException e) {
            return p.isAlive();
        }
    }

    static String describe(List<ProcessHandle> processes) {
        List<String> out = new ArrayList<>();
        for (ProcessHandle p : processes) {
            out.add(p.pid() + " (" + ProcFs.comm(p.pid()) + ")");
        }
        return String.join(", ", out);
    }

    /** The path as we pass it, and with its parent resolved (the mountpoint itself may be dead). */
    private static Set<String> spellings(Path mountpoint) {
        Set<String> names = new HashSet<>();
        Path abs = mountpoint.toAbsolutePath().normalize();
        names.add(abs.toString());
        try {
            Path parent = abs.getParent();
            if (parent != null) {
                names.add(parent.toRealPath().resolve(abs.getFileName()).toString());
            }
        } catch (IOException e) {
            // keep the literal spelling only
        }
        return names;
    }

    private static boolean namesAny(Path proc, Set<String> names) {
        try {
            return arguments(proc.resolve("cmdline")).stream().anyMatch(names::contains);
        } catch (IOException e) {
            return false; // the process is gone or not ours to read
        }
    }

    /** The command line of a process, one string per argument; empty if it is gone. */
    static List<String> arguments(ProcessHandle process) {
        try {
            return arguments(PROC.resolve(process.pid() + "/cmdline"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> arguments(Path cmdline) throws IOException {
        byte[] bytes = Files.readAllBytes(cmdline);
        List<String> argv = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == 0) {
                if (i > start) {
                    argv.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return argv;
    }

    private static boolean holdsDevFuse(Path proc) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("/dev/fuse")) {
                        return true;
                    }
                } catch (IOException e) {
                    // fd closed meanwhile
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return false;
    }
}
