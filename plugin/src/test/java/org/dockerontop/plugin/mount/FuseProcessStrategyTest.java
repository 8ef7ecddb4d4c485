package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real FUSE mounts through {@link FuseProcessStrategy}; see {@link TestMounts#fuseCommand()} for the command.
 * "The server is gone" means it has exited ({@link FuseProcesses#isRunning}): a server whose parent is
 * init stays a zombie until init gets round to reaping it, which Unmount need not wait for.
 */
class FuseProcessStrategyTest {
    @TempDir
    Path dir;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        started.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        TestMounts.unmountAllUnder(dir);
    }

    @Test
    void mountsMergedViewWritesToUpperAndUnmountsWithoutLeavingTheServer() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = TestMounts.fuse();

        MountResult result = fuse.mount(layers);

        assertEquals("fuse", result.strategy());
        Path mp = layers.mountpoint();
        assertTrue(ExistingMounts.isFuseType(ExistingMounts.entryAt(mp).orElseThrow().fsType()));
        assertEquals("from the base\n", Files.readString(mp.resolve("base.txt")));
        Files.writeString(mp.resolve("new.txt"), "written through FUSE");
        Files.writeString(mp.resolve("base.txt"), "changed");
        assertEquals("written through FUSE", Files.readString(layers.upper().resolve("new.txt")));
        assertEquals("changed", Files.readString(layers.upper().resolve("base.txt")));
        assertEquals("from the base\n", Files.readString(layers.lower().resolve("base.txt")), "the base is never written");
        List<ProcessHandle> servers = FuseProcesses.serving(mp);
        assertEquals(1, servers.size(), "exactly one detached process serves the mount");
        assertTrue(Files.exists(FuseProcessStrategy.logFile(layers)), "the command's output goes to fuse.log");

        fuse.unmount(mp);

        assertFalse(TestMounts.isMounted(mp));
        assertFalse(FuseProcesses.isRunning(servers.get(0)), "the serving process is gone once unmount returns");
        assertFalse(Files.exists(mp.resolve("new.txt")));
        assertEquals("changed", Files.readString(layers.upper().resolve("base.txt")), "changes stay in upper");
    }

    /** The packaged launcher script, as DOCKER_ON_TOP_FUSE_COMMAND names it in production and in the it tests. */
    @Test
    void theLauncherScriptWorksAsTheCommand() throws Exception {
        Path launcher = Path.of("..", "src", "bin", "docker-on-top-fuse").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(launcher) && Files.isRegularFile(TestMounts.ourFuseJar()),
                "needs src/bin/docker-on-top-fuse and the built fuse jar");
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = new FuseProcessStrategy(FuseCommand.resolve(
                java.util.Map.of(FuseCommand.ENV, launcher.toString()), java.util.Optional.empty(), Path.of("java")),
                Duration.ofSeconds(30), Duration.ofSeconds(10));

        fuse.mount(layers);

        assertEquals("fuse.docker-on-top-fuse", ExistingMounts.find(layers.mountpoint()).orElseThrow().fsType());
        assertEquals("from the base\n", Files.readString(layers.mountpoint().resolve("base.txt")));
        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        assertEquals(1, servers.size());
        fuse.unmount(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertFalse(FuseProcesses.isRunning(servers.get(0)));
    }

    /**
     * docker-on-top-fuse is started once, with -f, as the serving process itself: no launcher JVM
     * that re-executes a second one. Until the plugin exits it is the plugin's child, in its own session.
     */
    @Test
    void ourCommandIsStartedOnceAsTheServer() throws Exception {
        assumeTrue(!TestMounts.usesFuseOverlayfs(), "needs the built docker-on-top-fuse jar");
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = TestMounts.fuse();

        fuse.mount(layers);

        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        assertEquals(1, servers.size());
        ProcessHandle server = servers.get(0);
        assertEquals(ProcessHandle.current().pid(), server.parent().orElseThrow().pid(),
                "the process the plugin started serves the mount");
        assertTrue(server.info().arguments().map(a -> List.of(a).contains("-f")).orElse(false),
                "started in foreground mode: " + server.info().commandLine().orElse("?"));
        assertNotEquals(session(ProcessHandle.current().pid()), session(server.pid()), "in its own session");
        assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc/" + server.pid() + "/fd/0")).toString());
        assertEquals(FuseProcessStrategy.logFile(layers), Files.readSymbolicLink(Path.of("/proc/" + server.pid() + "/fd/1")));
        assertEquals("from the base\n", Files.readString(layers.mountpoint().resolve("base.txt")));

        fuse.unmount(layers.mountpoint());

        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertFalse(FuseProcesses.isRunning(server), "the server has exited once unmount returns");
    }

    /** A docker-on-top-fuse server that exits before mounting: its exit code and output, nothing left. */
    @Test
    void serverExitingBeforeTheMountIsAClearErrorAndLeavesNothing() throws Exception {
        Layers layers = TestMounts.layers(dir);
        Path fake = script(dir.resolve("bin/" + FuseCommand.EXECUTABLE),
                "echo \"docker-on-top-fuse: upperdir is on a filesystem without xattrs\" >&2\nsleep 0.3\nexit 3\n");
        FuseProcessStrategy fuse = new FuseProcessStrategy(new FuseCommand(List.of(fake.toString()), "test"),
                Duration.ofSeconds(30), Duration.ofSeconds(2));
        long start = System.nanoTime();

        VolumeException e = assertThrows(VolumeException.class, () -> fuse.mount(layers));

        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 10, "fails fast, not at the timeout");
        assertTrue(e.getMessage().contains("exit code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("upperdir is on a filesystem without xattrs"), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertTrue(noProcessNames(fake), "no process of the command is left");
    }

    /** The real server refusing its layers exits at once; the message carries its reason. */
    @Test
    void ourServerRefusingItsLayersFailsFastWithItsReason() throws Exception {
        assumeTrue(!TestMounts.usesFuseOverlayfs(), "needs the built docker-on-top-fuse jar");
        Layers layers = TestMounts.layers(dir);
        Files.delete(layers.lower().resolve("base.txt"));
        Files.delete(layers.lower());

        VolumeException e = assertThrows(VolumeException.class, () -> TestMounts.fuse().mount(layers));

        assertTrue(e.getMessage().contains("lowerdir " + layers.lower() + " does not exist"), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertTrue(FuseProcesses.serving(layers.mountpoint()).isEmpty());
        assertTrue(Files.readString(FuseProcessStrategy.logFile(layers)).contains("does not exist"), "kept in fuse.log");
    }

    /** A docker-on-top-fuse server that never mounts is stopped at the timeout. */
    @Test
    void serverNeverMountingIsStoppedAtTheTimeout() throws Exception {
        Layers layers = TestMounts.layers(dir);
        Path fake = script(dir.resolve("bin/" + FuseCommand.EXECUTABLE), "echo starting\nexec sleep 600\n");
        FuseProcessStrategy fuse = new FuseProcessStrategy(new FuseCommand(List.of(fake.toString()), "test"),
                Duration.ofSeconds(1), Duration.ofSeconds(2));

        VolumeException e = assertThrows(VolumeException.class, () -> fuse.mount(layers));

        assertTrue(e.getMessage().contains("within 1 s"), e.getMessage());
        assertTrue(e.getMessage().contains("starting"), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertTrue(noProcessNames(fake), "no process of the command is left");
    }

    private static Path script(Path path, String body) throws Exception {
        Files.createDirectories(path.getParent());
        Files.writeString(path, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
        return path;
    }

    private static boolean noProcessNames(Path script) {
        return ProcessHandle.allProcesses().filter(FuseProcesses::isRunning)
                .noneMatch(p -> p.info().commandLine().orElse("").contains(script.toString()));
    }

    @Test
    void unmountOfNothingMountedIsANoOp() throws Exception {
        Layers layers = TestMounts.layers(dir);
        TestMounts.fuse().unmount(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    @Test
    void mountsPathsWithCommasAndColons() throws Exception {
        // fuse-overlayfs splits its directory options on ':' even when escaped, so only our command gets
        // colons in the layer paths; the mountpoint is a separate argument and may always have one.
        String c = TestMounts.usesFuseOverlayfs() ? "_" : ":";
        Path d = dir.resolve("vol,ume" + c + "1");
        Layers layers = new Layers(d.resolve("ba,se" + c + "dir\\x"), d.resolve("up,per" + c + "u"), d.resolve("wo,rk" + c + "w"),
                d.resolve("mount,po:int"));
        for (Path p : List.of(layers.lower(), layers.upper(), layers.work(), layers.mountpoint())) {
            Files.createDirectories(p);
        }
        Files.writeString(layers.lower().resolve("f"), "base");
        FuseProcessStrategy fuse = TestMounts.fuse();

        fuse.mount(layers);
        try {
            assertEquals("base", Files.readString(layers.mountpoint().resolve("f")));
            Files.writeString(layers.mountpoint().resolve("g"), "upper");
            assertEquals("upper", Files.readString(layers.upper().resolve("g")));
            assertTrue(ExistingMounts.find(layers.mountpoint()).isPresent(), "mountinfo escapes are decoded");
            assertEquals(1, FuseProcesses.serving(layers.mountpoint()).size());
        } finally {
            fuse.unmount(layers.mountpoint());
        }
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    /**
     * The plugin's JVM is killed with SIGKILL after mounting (as on a crash or an upgrade): the
     * volume must keep serving reads and writes, and a new plugin must still unmount it cleanly.
     */
    @Test
    void mountOutlivesTheJvmThatStartedIt() throws Exception {
        Layers layers = TestMounts.layers(dir);
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MountInChildJvm.class.getName()));
        argv.addAll(TestMounts.fuseCommand());
        argv.addAll(List.of("--", layers.lower().toString(), layers.upper().toString(), layers.work().toString(),
                layers.mountpoint().toString()));
        Process plugin = new ProcessBuilder(argv).redirectErrorStream(true).start();
        started.add(plugin);
        BufferedReader out = new BufferedReader(new InputStreamReader(plugin.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = out.readLine()) != null && !line.equals("MOUNTED")) {
            seen.append(line).append('\n');
        }
        assertEquals("MOUNTED", line, "child JVM output: " + seen);
        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        assertEquals(1, servers.size());
        assertNotEquals(session(plugin.pid()), session(servers.get(0).pid()),
                "the server has its own session: a Ctrl-C or SIGHUP to the plugin's group does not reach it");
        assertTrue(Files.readSymbolicLink(Path.of("/proc/" + servers.get(0).pid() + "/fd/1")).toString()
                .endsWith(FuseProcessStrategy.LOG_FILE) || Files.readSymbolicLink(Path.of("/proc/" + servers.get(0).pid()
                + "/fd/1")).toString().equals("/dev/null"), "the server's output never goes to a pipe of the plugin");

        plugin.destroyForcibly(); // SIGKILL
        plugin.waitFor();
        out.close();

        Path mp = layers.mountpoint();
        assertEquals("from the base\n", Files.readString(mp.resolve("base.txt")));
        Files.writeString(mp.resolve("after-crash.txt"), "still served");
        assertEquals("still served", Files.readString(layers.upper().resolve("after-crash.txt")));
        assertEquals(ExistingMounts.Health.ANSWERING, ExistingMounts.probe(mp));
        assertTrue(servers.get(0).isAlive());
        assertTrue(servers.get(0).parent().map(p -> p.pid() != plugin.pid()).orElse(true),
                "the server outlived its parent, whichever of the plugin or a launcher that was");

        // a restarted plugin re-adopts it: it recognises the mount and unmounts it without leaks
        assertEquals("fuse", ExistingMounts.find(mp).orElseThrow().strategy());
        TestMounts.fuse().unmount(mp);
        assertFalse(TestMounts.isMounted(mp));
        assertFalse(FuseProcesses.isRunning(servers.get(0)));
    }

    /** Field 6 of /proc/PID/stat; the command name (field 2) may contain spaces but ends with ')'. */
    private static long session(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[3]);
    }

    @Test
    void deadMountIsDetectedAndCleanedUpThenMountsAgain() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = TestMounts.fuse();
        fuse.mount(layers);
        Files.writeString(layers.mountpoint().resolve("kept.txt"), "completed write");
        Path mp = layers.mountpoint();
        List<ProcessHandle> servers = FuseProcesses.serving(mp);
        assertEquals(1, servers.size());

        servers.get(0).destroyForcibly();
        assertTrue(FuseProcesses.awaitExit(servers, Duration.ofSeconds(5)));

        assertEquals(ExistingMounts.Health.DEAD, ExistingMounts.probe(mp));
        assertEquals("fuse", ExistingMounts.find(mp).orElseThrow().strategy());

        ExistingMounts.cleanUp(mp);

        assertFalse(TestMounts.isMounted(mp));
        assertTrue(ExistingMounts.find(mp).isEmpty(), "nothing mounted there any more");
        fuse.mount(layers);
        assertEquals("completed write", Files.readString(mp.resolve("kept.txt")), "no completed write is lost");
        fuse.unmount(mp);
    }

    @Test
    void unmountOfADeadMountSucceeds() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = TestMounts.fuse();
        fuse.mount(layers);
        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        servers.forEach(ProcessHandle::destroyForcibly);
        FuseProcesses.awaitExit(servers, Duration.ofSeconds(5));

        fuse.unmount(layers.mountpoint());

        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    @Test
    void busyUnmountSaysWhoUsesItAndLeavesTheMountIntact() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = TestMounts.fuse();
        fuse.mount(layers);
        Path mp = layers.mountpoint();
        Process user = new ProcessBuilder("sleep", "600").directory(mp.toFile()).start();
        started.add(user);

        VolumeException e = assertThrows(VolumeException.class, () -> fuse.unmount(mp));

        assertTrue(e.getMessage().contains("busy"), e.getMessage());
        assertTrue(e.getMessage().contains(user.pid() + " (sleep, working directory)"), e.getMessage());
        assertEquals(ExistingMounts.Health.ANSWERING, ExistingMounts.probe(mp));
        assertEquals("from the base\n", Files.readString(mp.resolve("base.txt")));
        assertEquals(1, FuseProcesses.serving(mp).size());

        user.destroyForcibly();
        user.waitFor();
        fuse.unmount(mp);
        assertFalse(TestMounts.isMounted(mp));
    }

    @Test
    void aMountStackedInsideMakesItBusyAndIsNamed() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = TestMounts.fuse();
        fuse.mount(layers);
        Path inner = Files.createDirectories(layers.mountpoint().resolve("inner"));
        assertEquals(0, TestMounts.run("mount", "-t", "tmpfs", "tmpfs", inner.toString()).exit());

        VolumeException e = assertThrows(VolumeException.class, () -> fuse.unmount(layers.mountpoint()));

        assertTrue(e.getMessage().contains("other mounts sit below it: " + inner), e.getMessage());
        assertEquals(ExistingMounts.Health.ANSWERING, ExistingMounts.probe(layers.mountpoint()));
        assertEquals(0, TestMounts.run("umount", inner.toString()).exit());
        fuse.unmount(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    /** A stopped server does not hang unmount: it is unmounted, then stopped once the bounded wait is over. */
    @Test
    void unmountOfAHungServerIsBounded() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = new FuseProcessStrategy(new FuseCommand(TestMounts.fuseCommand(), "test"),
                Duration.ofSeconds(30), Duration.ofSeconds(1));
        fuse.mount(layers);
        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        TestMounts.freeze(servers.get(0));

        long start = System.nanoTime();
        fuse.unmount(layers.mountpoint());
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();

        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertFalse(FuseProcesses.isRunning(servers.get(0)), "the hung server was stopped");
        assertTrue(seconds < 15, "unmount took " + seconds + " s");
    }

    @Test
    void volumesMountInParallel() throws Exception {
        FuseProcessStrategy fuse = TestMounts.fuse();
        List<Layers> volumes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            volumes.add(TestMounts.layers(dir.resolve("v" + i)));
        }
        List<java.util.concurrent.Future<MountResult>> results = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (Layers l : volumes) {
                results.add(pool.submit(() -> fuse.mount(l)));
            }
            for (java.util.concurrent.Future<MountResult> r : results) {
                assertEquals("fuse", r.get().strategy());
            }
        } finally {
            pool.shutdown();
        }
        java.util.Set<Long> pids = new java.util.HashSet<>();
        for (Layers l : volumes) {
            assertEquals("from the base\n", Files.readString(l.mountpoint().resolve("base.txt")));
            List<ProcessHandle> servers = FuseProcesses.serving(l.mountpoint());
            assertEquals(1, servers.size());
            pids.add(servers.get(0).pid());
        }
        assertEquals(3, pids.size(), "one server per volume");
        for (Layers l : volumes) {
            fuse.unmount(l.mountpoint());
            assertFalse(TestMounts.isMounted(l.mountpoint()));
        }
    }

    @Test
    void failedMountReportsTheCommandsOutputAndLeavesNothing() throws Exception {
        Layers layers = TestMounts.layers(dir);
        Files.delete(layers.lower().resolve("base.txt"));
        Files.delete(layers.lower());
        FuseProcessStrategy fuse = TestMounts.fuse();

        VolumeException e = assertThrows(VolumeException.class, () -> fuse.mount(layers));

        assertTrue(e.getMessage().contains("exit code"), e.getMessage());
        assertTrue(e.getMessage().contains("its output:"), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        assertTrue(FuseProcesses.serving(layers.mountpoint()).isEmpty());
    }

    /** A command that never returns (a faulty collaborator we control) is stopped at the timeout. */
    @Test
    void hangingCommandIsStoppedAtTheTimeout() throws Exception {
        Layers layers = TestMounts.layers(dir);
        Path script = dir.resolve("hang.sh");
        Files.writeString(script, "#!/bin/sh\necho about to hang\nexec sleep 600\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        FuseProcessStrategy fuse = new FuseProcessStrategy(new FuseCommand(List.of(script.toString()), "test"),
                Duration.ofSeconds(1), Duration.ofSeconds(2));

        VolumeException e = assertThrows(VolumeException.class, () -> fuse.mount(layers));

        assertTrue(e.getMessage().contains("within 1 s"), e.getMessage());
        assertTrue(e.getMessage().contains("about to hang"), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
        Thread.sleep(200);
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(script.toString())),
                "no process of the command is left");
    }

    @Test
    void missingCommandMeansFuseIsUnavailable() throws Exception {
        Layers layers = TestMounts.layers(dir);
        FuseProcessStrategy fuse = new FuseProcessStrategy(List.of(dir.resolve("no-such-command").toString()));

        StrategyUnavailableException e = assertThrows(StrategyUnavailableException.class, () -> fuse.mount(layers));

        assertTrue(e.getMessage().contains(FuseCommand.ENV), e.getMessage());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    @Test
    void eachMountHasItsOwnServer() throws Exception {
        Layers a = TestMounts.layers(dir.resolve("a"));
        Layers b = TestMounts.layers(dir.resolve("b"));
        FuseProcessStrategy fuse = TestMounts.fuse();
        fuse.mount(a);
        fuse.mount(b);
        List<ProcessHandle> sa = FuseProcesses.serving(a.mountpoint());
        List<ProcessHandle> sb = FuseProcesses.serving(b.mountpoint());
        assertEquals(1, sa.size());
        assertEquals(1, sb.size());
        assertNotEquals(sa.get(0).pid(), sb.get(0).pid());

        fuse.unmount(a.mountpoint());

        assertFalse(FuseProcesses.isRunning(sa.get(0)));
        assertTrue(sb.get(0).isAlive(), "unmounting one volume leaves the other served");
        assertEquals("from the base\n", Files.readString(b.mountpoint().resolve("base.txt")));
        fuse.unmount(b.mountpoint());
    }
}
