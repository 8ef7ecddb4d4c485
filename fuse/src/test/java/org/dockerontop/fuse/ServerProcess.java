package org.dockerontop.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/** Finds, stops and resumes the process serving a FUSE mount, for tests that need it unresponsive. */
public final class ServerProcess {
    private ServerProcess() {
    }

    /**
     * The process that holds /dev/fuse open and names {@code mnt} on its command line.
     *
     * @throws IOException if none appears within 5 s
     */
    public static long of(Path mnt) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path p : procs) {
                    try {
                        String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                        if (!Arrays.asList(cmdline.split("\0")).contains(mnt.toString())) continue;
                        try (DirectoryStream<Path> fds = Files.newDirectoryStream(p.resolve("fd"))) {
                            for (Path fd : fds) {
                                if (Files.readSymbolicLink(fd).toString().equals("/dev/fuse")) {
                                    return Long.parseLong(p.getFileName().toString());
                                }
                            }
                        }
                    } catch (IOException ignored) {
                        // the process went away while we looked
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new IOException("no process holding /dev/fuse serves " + mnt);
    }

    /**
     * Stops {@code pid} with SIGSTOP and waits until every one of its threads is stopped: kill(2)
     * only queues the signal, and a busy worker may answer one more request before it stops.
     *
     * @throws IOException if the signal fails or a thread is still running after 10 s
     */
    public static void freeze(long pid) throws IOException, InterruptedException {
        signal("STOP", pid);
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!allStopped(tasks)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("process " + pid + " did not stop within 10 s");
            }
            Thread.sleep(10);
        }
    }

    /** Resumes a process {@link #freeze} stopped. @throws IOException if the signal fails */
    public static void thaw(long pid) throws IOException, InterruptedException {
        signal("CONT", pid);
    }

    private static void signal(String sig, long pid) throws IOException, InterruptedException {
        if (new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor() != 0) {
            throw new IOException("kill -" + sig + " " + pid + " failed");
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
}
