package org.dockerontop.fuse.parity;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion; output goes through temp files so a daemonising child cannot hold a pipe open. */
public final class Cmd {
    private Cmd() {}

    public record Result(int exit, String stdout, String stderr) {
        public String describe(List<String> argv) {
            return String.join(" ", argv) + " -> exit " + exit + (stderr.isEmpty() ? "" : ", stderr: " + stderr.strip())
                    + (stdout.isEmpty() ? "" : ", stdout: " + stdout.strip());
        }
    }

    public static Result run(List<String> argv, Path cwd, long timeoutSeconds) throws IOException, InterruptedException {
        return run(argv, cwd, java.util.Map.of(), timeoutSeconds);
    }

    public static Result run(List<String> argv, Path cwd, java.util.Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        File out = File.createTempFile("dot-cmd", ".out");
        File err = File.createTempFile("dot-cmd", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(out).redirectError(err)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (cwd != null) pb.directory(cwd.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, read(out), read(err) + "\n[timed out after " + timeoutSeconds + " s]");
            }
            return new Result(p.exitValue(), read(out), read(err));
        } finally {
            out.delete();
            err.delete();
        }
    }

    public static Result run(String... argv) throws IOException, InterruptedException {
        return run(List.of(argv), null, 120);
    }

    /** Runs and fails with the command's stderr unless it exits 0. */
    public static String ok(String... argv) throws IOException, InterruptedException {
        Result r = run(argv);
        if (r.exit() != 0) throw new IOException(r.describe(List.of(argv)));
        return r.stdout();
    }

    private static String read(File f) throws IOException {
        return Files.readString(f.toPath(), StandardCharsets.UTF_8);
    }
}
