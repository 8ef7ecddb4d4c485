package org.dockerontop.fuse;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.dockerontop.overlay.format.IncompatFeatures;
import org.dockerontop.overlay.format.UpperFormat;
import org.dockerontop.overlay.format.UpperFormat.WhiteoutForm;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code docker-on-top-fuse}: mounts the overlay. Without {@code -f} it starts itself again
 * detached (new session, output to {@code log=FILE} or /dev/null), waits until the mount shows in
 * /proc/self/mountinfo and answers, and exits 0, or non-zero with the child's error.
 * Exits cleanly when unmounted and, unmounting, on SIGTERM.
 */
public final class FuseMain {
    static final String FSTYPE = "fuse.docker-on-top-fuse";
    static final String SUBTYPE = "docker-on-top-fuse";
    /** Set in the detached child: the file its startup output goes to until the mount is up. */
    private static final Logger LOG = LoggerFactory.getLogger(FuseMain.class);
    private static final String DAEMON_ENV = "DOCKER_ON_TOP_FUSE_DAEMON_LOG";
    private static final long START_TIMEOUT_MS = 30_000;

    private FuseMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        MountOptions o;
        try {
            o = MountOptions.parse(args);
        } catch (MountOptions.UsageException e) {
            System.err.println("docker-on-top-fuse: " + e.getMessage());
            System.err.print(MountOptions.usage());
            return 2;
        }
        if (o.help) {
            System.out.print(MountOptions.usage());
            return 0;
        }
        if (o.version) {
            String v = FuseMain.class.getPackage().getImplementationVersion();
            System.out.println("docker-on-top-fuse " + (v == null ? "dev" : v));
            return 0;
        }
        Path mountPoint;
        try {
            mountPoint = validate(o);
        } catch (IllegalArgumentException e) {
            System.err.println("docker-on-top-fuse: " + e.getMessage());
            return 1;
        }
        if (!o.foreground && System.getenv(DAEMON_ENV) == null) {
            return daemonize(args, mountPoint);
        }
        return serve(o, mountPoint);
    }

    /** Checks the layers and the mount point; returns the canonical mount point. */
    static Path validate(MountOptions o) {
        Path lower = dir("lowerdir", o.lowerDir);
        Path upper = dir("upperdir", o.upperDir);
        Path work = dir("workdir", o.workDir);
        Path mp = dir("mount point", o.mountPoint);
        if (upper.equals(work) || work.startsWith(upper) || upper.startsWith(work)) {
            throw new IllegalArgumentException("workdir and upperdir must be separate directories");
        }
        if (lower.startsWith(upper) || upper.startsWith(lower)) {
            throw new IllegalArgumentException("lowerdir and upperdir must not contain each other");
        }
        // through the JDK, not jnr: the process that only starts the server in the background
        // (daemonize) would otherwise load jnr-ffi for this alone, ~0.4 s before the server starts
        if (!device(upper).equals(device(work))) {
            throw new IllegalArgumentException("workdir " + work + " must be on the same filesystem as upperdir " + upper);
        }
        return mp;
    }

    private static Object device(Path p) {
        try {
            return Files.getAttribute(p, "unix:dev");
        } catch (IOException e) {
            throw new IllegalArgumentException(p + ": " + e.getMessage());
        }
    }

    private static Path dir(String what, String path) {
        Path p = Paths.get(path);
        if (!Files.isDirectory(p)) {
            throw new IllegalArgumentException(what + " " + path + (Files.exists(p) ? " is not a directory" : " does not exist"));
        }
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + path + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- background start

    private static int daemonize(String[] args, Path mountPoint) {
        File startLog;
        try {
            startLog = File.createTempFile("docker-on-top-fuse-", ".log");
        } catch (IOException e) {
            System.err.println("docker-on-top-fuse: cannot create a start-up log: " + e.getMessage());
            return 1;
        }
        // a mount of ours that is already there must not be taken for the new one
        List<Integer> before = mountIds(mountPoint);
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        cmd.addAll(jvmArgs);
        // one small JVM per mount, however we were started (the plugin may run plain java -jar):
        // the data path uses no heap, so a serial-GC heap keeps RSS low; it grows with the
        // files the kernel caches (NodePruner's limit follows the maximum)
        if (jvmArgs.stream().noneMatch(a -> a.startsWith("-Xmx") || a.startsWith("-XX:MaxRAM"))) {
            cmd.add("-Xmx256m");
        }
        if (jvmArgs.stream().noneMatch(a -> a.matches("-XX:\\+Use\\w+GC"))) {
            cmd.add("-XX:+UseSerialGC");
        }
        if (jvmArgs.stream().noneMatch(a -> a.startsWith("-Xss"))) {
            cmd.add("-Xss512k");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FuseMain.class.getName());
        for (String a : args) {
            cmd.add(a);
        }
        cmd.add("-f");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(startLog))
                .redirectErrorStream(true);
        pb.environment().put(DAEMON_ENV, startLog.getAbsolutePath());
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            System.err.println("docker-on-top-fuse: cannot start the filesystem process: " + e.getMessage());
            startLog.delete();
            return 1;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        try {
            while (System.nanoTime() < deadline) {
                if (child.waitFor(50, TimeUnit.MILLISECONDS)) {
                    System.err.print(read(startLog));
                    System.err.println("docker-on-top-fuse: the filesystem process exited with status "
                            + child.exitValue() + " before the mount was ready");
                    startLog.delete();
                    return child.exitValue() == 0 ? 1 : child.exitValue();
                }
                List<Integer> now = mountIds(mountPoint);
                now.removeAll(before);
                if (!now.isEmpty() && answers(mountPoint)) {
                    return 0;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.print(read(startLog));
        System.err.println("docker-on-top-fuse: the mount did not come up within " + START_TIMEOUT_MS / 1000 + " s");
        child.destroy();
        startLog.delete();
        return 1;
    }

    private static boolean answers(Path mp) {
        try {
            Files.readAttributes(mp, BasicFileAttributes.class);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(File f) {
        try (InputStream in = Files.newInputStream(f.toPath())) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    // ---------------------------------------------------------------- serving

    private static int serve(MountOptions o, Path mountPoint) {
        String daemonLog = System.getenv(DAEMON_ENV);
        if (daemonLog != null) {
            Native.LIBC.setsid();
        }
        Path workdir = Paths.get(o.workDir).toAbsolutePath();
        Path work = workdir.resolve("work");
        WhiteoutForm form;
        try {
            // checked before our scratch directory is emptied: the mark lives inside it
            Optional<String> incompat = IncompatFeatures.marked(workdir);
            if (incompat.isPresent()) {
                System.err.println("docker-on-top-fuse: " + IncompatFeatures.advice(workdir, incompat.get()));
                return 1;
            }
            cleanWorkDir(work);
            if (o.volatileMount && !o.readOnly) {
                IncompatFeatures.markVolatile(workdir);
            }
            form = UpperFormat.probeWhiteoutForm(Native.bytesToString(work.toString()));
        } catch (IOException | ErrnoException e) {
            System.err.println("docker-on-top-fuse: cannot prepare workdir " + work + ": " + e.getMessage());
            return 1;
        }
        // the modes the kernel sends are the caller's to decide: umasked by the kernel, or with
        // ACLs by PosixAcls; ours would take bits away again (0666 under umask 0 became 0644)
        Native.LIBC.umask(0);
        // the log is opened once mounted, after the working directory has become the lower layer
        String logFile = o.logFile == null ? null : Paths.get(o.logFile).toAbsolutePath().toString();
        LowerLayer lower;
        try {
            lower = LowerLayer.enter(Paths.get(o.lowerDir).toRealPath());
        } catch (IOException | ErrnoException e) {
            System.err.println("docker-on-top-fuse: cannot open lowerdir " + o.lowerDir + ": " + e.getMessage());
            return 1;
        }
        OverlayFs fs = new OverlayFs(lower, realPath(o.upperDir), Native.bytesToString(work.toString()), form,
                !o.volatileMount, new PosixAcls(o.acl));
        int dev = -1;
        if (o.loop != Loop.LIBFUSE) {
            try {
                dev = JavaLoop.mount(mountPoint, o.source, o.mountFlags, o.readOnly);
            } catch (JavaLoop.MountRefused e) {
                if (o.loop == Loop.JAVA || e.errno != Errno.EPERM) {
                    System.err.println("docker-on-top-fuse: " + e.getMessage()
                            + (e.errno == Errno.EPERM ? " (loop=java mounts with mount(2), which needs root)" : ""));
                    return 1;
                }
                // an unprivileged caller: libfuse can still mount through the fusermount helper
                LOG.info("{}; mounting through libfuse instead", e.getMessage());
            }
        }
        FuseOverlay fuse = dev >= 0 ? null : new FuseOverlay(fs);
        java.util.concurrent.CountDownLatch initialized = fuse != null ? fuse.initialized()
                : new java.util.concurrent.CountDownLatch(1);
        if (daemonLog != null) {
            Thread t = new Thread(() -> {
                try {
                    initialized.await();
                    detachOutput(logFile, daemonLog);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "detach-output");
            t.setDaemon(true);
            t.start();
        }
        if (fuse == null) {
            return JavaLoop.run(fs, dev, mountPoint, o.readOnly, o.threads, o.passthrough, initialized, o.debug, o.maxNodes);
        }
        List<String> fuseOpts = new ArrayList<>();
        fuseOpts.add("-o");
        fuseOpts.add(fuseOptions(o));
        int rc;
        try {
            rc = fuse.serve(mountPoint, o.debug, fuseOpts, o.threads, o.passthrough, o.readOnly);
        } catch (RuntimeException e) {
            System.err.println("docker-on-top-fuse: mount failed: " + e);
            return 1;
        }
        if (rc != 0) {
            System.err.println("docker-on-top-fuse: libfuse could not mount " + mountPoint);
            return rc;
        }
        return 0;
    }

    static String fuseOptions(MountOptions o) {
        StringBuilder sb = new StringBuilder();
        sb.append("fsname=").append(MountOptions.escapeForFuse(o.source));
        sb.append(",subtype=").append(SUBTYPE);
        // permissions are the kernel's job, checked against the modes we report, for every user
        sb.append(",allow_other,default_permissions");
        // report the real inode numbers, as the kernel overlay does
        sb.append(",use_ino,readdir_ino");
        // the layers do not change behind our back while mounted: cache pages and attributes
        sb.append(",kernel_cache,entry_timeout=60,attr_timeout=60,negative_timeout=60");
        // READs of up to 1 MiB, as writes (KernelReplyPatch): with the read-ahead Readahead sets, a
        // sequential reader costs one READ per MiB instead of eight (the kernel caps a READ at
        // max_pages too, so this asks for nothing a kernel without FUSE_MAX_PAGES would not give)
        sb.append(",big_writes,max_write=131072,max_read=1048576");
        // O_TRUNC reaches open, so truncating a lower file does not copy its data up first
        sb.append(",atomic_o_trunc");
        // like a kernel overlay mount: device nodes and set-id files work unless asked otherwise,
        // and a mount point that is not empty is mounted over (libfuse 2 alone refuses it)
        sb.append(",dev,suid,nonempty");
        for (String flag : o.mountFlags) {
            sb.append(',').append(flag);
        }
        if (o.readOnly) {
            sb.append(",ro");
        }
        return sb.toString();
    }

    /** The canonical path, as the byte string the filesystem code works with. */
    private static String realPath(String p) {
        try {
            return Native.bytesToString(Paths.get(p).toRealPath().toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(p + ": " + e.getMessage());
        }
    }

    /** Points stdout/stderr at the long-term log (or /dev/null) and drops the start-up log. */
    private static void detachOutput(String logFile, String startLog) {
        String target = logFile != null ? logFile : "/dev/null";
        int fd = Native.LIBC.open(Native.bytesToString(target), Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND | Native.O_CLOEXEC, 0640);
        if (fd >= 0) {
            System.out.flush();
            System.err.flush();
            if (logFile != null) {
                // what was said while mounting (which loop serves, how the base is read) belongs in the log
                try {
                    Files.write(Path.of(logFile), Files.readAllBytes(Path.of(startLog)),
                            java.nio.file.StandardOpenOption.APPEND);
                } catch (IOException e) {
                    // the start log is gone or unreadable: the rest of the log still goes there
                }
            }
            Native.LIBC.dup2(fd, 1);
            Native.LIBC.dup2(fd, 2);
            Native.LIBC.close(fd);
        }
        new File(startLog).delete();
    }

    /** Empties our scratch directory inside the workdir (leftovers of a crash). */
    static void cleanWorkDir(Path work) throws IOException {
        if (Files.isDirectory(work, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            org.dockerontop.overlay.format.Trees.empty(work);
        } else {
            Files.createDirectories(work);
        }
        Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /** The IDs of our filesystem's mounts on {@code mountPoint} now (none if the table cannot be read). */
    private static List<Integer> mountIds(Path mountPoint) {
        try {
            return MountTable.read().entries().stream()
                    .filter(m -> m.mountpoint().equals(mountPoint) && m.fsType().equals(FSTYPE))
                    .map(MountEntry::id)
                    .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
        } catch (IOException e) {
            return new ArrayList<>();
        }
    }
}
