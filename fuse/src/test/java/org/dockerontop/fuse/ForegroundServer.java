package org.dockerontop.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;

/**
 * A FUSE server the tests start in the foreground ({@code -f}), as the plugin starts its servers:
 * one JVM per mount. The command's background mode would start a second JVM only to wait for the
 * first (~0.3 s per mount on this machine), and a test that waited for a background server to exit
 * waited for PID 1 to reap it (1.5-2 s on these VMs: the server is re-parented to it);
 * {@code FuseMainTest} covers that mode. The server's output goes to {@code MNT.out} beside the
 * mount point, so that a failed start can say why and a test can read the server's log.
 */
public final class ForegroundServer {
    private static final long START_TIMEOUT_MS = 60_000;

    private final Process process;
    private final Path mnt;

    private ForegroundServer(Process process, Path mnt) {
        this.process = process;
        this.mnt = mnt;
    }

    /**
     * Runs {@code command} (which must hold {@code -f} and {@code mnt}) with {@code env} added, and
     * returns once a new FUSE mount at {@code mnt} answers a stat.
     *
     * @throws IOException if the server exits before that (its output in the message), or the mount
     *                     does not answer within 60 s (the server is then killed)
     */
    public static ForegroundServer start(java.util.List<String> command, Map<String, String> env, Path mnt)
            throws IOException, InterruptedException {
        Path out = outputOf(mnt);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Path real = mnt.toRealPath();
        // a FUSE mount already there (a test's earlier one) must not be taken for the new one
        Set<Integer> before = fuseMountIds(real);
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() - deadline < 0) {
            if (p.waitFor(10, TimeUnit.MILLISECONDS)) {
                throw new IOException("the FUSE server exited with status " + p.exitValue()
                        + " before " + mnt + " was mounted: " + command + "\n" + output(out));
            }
            // not necessarily ours: the parity suite can be pointed at fuse-overlayfs
            Set<Integer> now = fuseMountIds(real);
            now.removeAll(before);
            if (!now.isEmpty() && answers(mnt)) {
                return new ForegroundServer(p, mnt);
            }
        }
        p.destroyForcibly();
        throw new IOException(mnt + " was not mounted within " + START_TIMEOUT_MS / 1000 + " s: " + command
                + "\n" + output(out));
    }

    /** Where the output of a server for {@code mnt} goes: {@code MNT.out}, appended to by every start. */
    public static Path outputOf(Path mnt) {
        return mnt.resolveSibling(mnt.getFileName() + ".out");
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Waits for the server to exit, as it must once its mount is gone.
     *
     * @throws AssertionError if it is still running after {@code seconds} (it is then killed)
     */
    public void awaitExit(int seconds) throws InterruptedException {
        try {
            process.onExit().get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new AssertionError("FUSE server " + process.pid() + " still running " + seconds
                    + " s after " + mnt + " was unmounted");
        } catch (ExecutionException e) {
            // onExit never completes exceptionally; nothing to wait for
        }
    }

    private static Set<Integer> fuseMountIds(Path mountpoint) throws IOException {
        return MountTable.read().entries().stream()
                .filter(m -> m.isFuse() && m.mountpoint().equals(mountpoint))
                .map(MountEntry::id)
                .collect(Collectors.toCollection(HashSet::new));
    }

    private static boolean answers(Path mnt) {
        try {
            Files.readAttributes(mnt, BasicFileAttributes.class);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String output(Path out) {
        try {
            return new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
