package org.dockerontop.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.exception.DockerException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every integration scenario of the daemon, run against the real dockerd with the plugin as its own
 * process. One subclass per mount strategy runs the whole set: {@link #daemonStrategy()} is the
 * daemon's {@code --strategy}, {@link #expectedStrategy()} the strategy {@code docker volume inspect}
 * must report for a mounted volume. One plugin process serves a whole class (its log is printed when a
 * test fails); every test uses its own volumes and base directories and leaves no container, volume,
 * mount or FUSE process behind, which {@link #nothingLeftBehind()} checks after each test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class VolumeScenarios {
    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SETTLE = Duration.ofSeconds(30);
    /**
     * One driver name for every suite (they run one after the other): dockerd remembers every plugin
     * it has talked to until it restarts, and asks each of them, alive or not, when it lists volumes
     * or looks up an unknown name; a gone one costs a 15-30 s retry. A fixed name bounds that to one.
     * Two runs on one host at the same time need different names (-Ddot.driverName=...).
     */
    protected static final String DRIVER = System.getProperty("dot.driverName", "dot-it");

    protected Path work;
    protected Path root;
    protected PluginProcess plugin;
    protected DockerOps docker;
    private final AtomicInteger counter = new AtomicInteger();
    private long logOffset;

    /** The daemon's --strategy. */
    protected abstract String daemonStrategy();

    /** What inspect must show as the strategy of a mounted volume: overlay or fuse. */
    protected abstract String expectedStrategy();

    /** Creates the daemon's state directory under {@code work}; a subclass may put it on a special filesystem. */
    protected Path prepareRoot(Path work) throws Exception {
        return Files.createDirectories(work.resolve("root"));
    }

    /** Undoes {@link #prepareRoot} (called after the daemon stopped). */
    protected void releaseRoot() throws Exception {
    }

    @RegisterExtension
    final TestWatcher printPluginLogOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            System.err.println("==== " + context.getDisplayName() + " failed; plugin log since the test started ("
                    + (plugin == null ? "no plugin" : plugin.logFile()) + "):");
            if (plugin != null) {
                String log = plugin.log();
                System.err.println(log.substring((int) Math.min(logOffset, log.length())));
            }
            System.err.println("==== mounts under " + root + ": " + (root == null ? "-" : HostState.mountsUnder(root)));
            printFuseLogs();
        }
    };

    /** The FUSE servers' output (one fuse.log per volume directory), for a failed test's report. */
    private void printFuseLogs() {
        if (root == null || !Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> volumes = Files.list(root)) {
            for (Path log : volumes.map(v -> v.resolve("fuse.log")).filter(Files::isRegularFile).toList()) {
                List<String> lines = Files.readAllLines(log);
                System.err.println("==== " + log + " (last 50 lines):");
                lines.subList(Math.max(0, lines.size() - 50), lines.size()).forEach(System.err::println);
            }
        } catch (IOException e) {
            System.err.println("(cannot read the FUSE logs: " + e + ")");
        }
    }

    @BeforeAll
    void startPlugin() throws Exception {
        Preconditions.requireRootDockerFuseOverlay();
        work = Files.createTempDirectory("dot-it-" + daemonStrategy() + "-");
        root = prepareRoot(work);
        plugin = new PluginProcess(DRIVER, root, daemonStrategy(), work);
        plugin.start();
        docker = new DockerOps(plugin.name());
    }

    @BeforeEach
    void markLog(TestInfo test) {
        logOffset = plugin.log().length();
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        List<String> problems = docker.cleanUp();
        assertTrue(problems.isEmpty(), "cleaning up failed: " + problems);
        awaitNoVolumeMounts();
    }

    @AfterAll
    void stopPlugin() throws Exception {
        try {
            if (docker != null) {
                docker.cleanUp();
            }
            if (plugin != null) {
                plugin.stop();
                // a JVM ends by SIGTERM with 143 even after a clean shutdown (systemd: SuccessExitStatus=143)
                assertTrue(List.of(0, 143).contains(plugin.exitStatus()),
                        "the daemon should shut down cleanly on SIGTERM, exit status " + plugin.exitStatus() + "; log:\n" + plugin.log());
                assertFalse(Files.exists(plugin.socket()), "the socket should be removed on SIGTERM");
            }
        } finally {
            releaseRoot();
            if (work != null && HostState.mountsUnder(work).isEmpty()) {
                deleteTree(work);
            }
        }
    }

    // ---------------------------------------------------------------- scenarios

    @Test
    void createRefusesInvalidInputWithAnActionableError() throws Exception {
        Path base = newBase();
        Path file = Files.writeString(work.resolve("a-file-" + counter.incrementAndGet()), "x");

        assertRefused(volumeName(), Map.of(), "-o base=");
        assertRefused(volumeName(), Map.of("base", "relative/dir"), "absolute");
        assertRefused(volumeName(), Map.of("base", file.toString()), "not a directory");
        assertRefused(volumeName(), Map.of("base", work.resolve("missing").toString()), "does not exist");
        assertRefused(volumeName(), Map.of("base", base.toString(), "volatile", "maybe"), "maybe");
        assertRefused(volumeName(), Map.of("base", base.toString(), "colour", "blue"), "colour");
        assertRefused(volumeName(), Map.of("base", root.getParent().toString()), "contains docker-on-top's state directory");
        assertRefused("-starts-with-dash", Map.of("base", base.toString()), "illegal characters");
        assertRefused("has/a/slash", Map.of("base", base.toString()), "-o base=");
        assertTrue(listRoot().isEmpty(), "a refused create must leave no state behind: " + listRoot());
    }

    private void assertRefused(String name, Map<String, String> options, String expectedInMessage) throws IOException {
        String message = docker.createVolumeError(name, options);
        assertTrue(message.contains(expectedInMessage),
                "docker volume create " + name + " " + options + " should say '" + expectedInMessage + "' but said: " + message);
        assertFalse(pluginVolumes().contains(name), name + " must not be listed by the plugin after a refused create");
    }

    @Test
    void createOfAnExistingVolumeIsRefusedAndLeavesItUntouched() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString()));
        String metadata = Files.readString(root.resolve(name).resolve("metadata.json"));

        // dockerd asks Get before Create and skips a Create of a volume it finds: speak to the daemon directly
        Path other = newBase();
        UnixHttp.Reply reply = UnixHttp.request(plugin.socket(), "POST", "/VolumeDriver.Create",
                JSON.writeValueAsString(Map.of("Name", name, "Opts", Map.of("base", other.toString()))));
        String err = JSON.readTree(reply.body()).path("Err").asText("");
        assertFalse(err.isEmpty(), "a second Create of " + name + " must answer an Err, got " + reply);
        assertTrue(err.contains("already exists"), "the Err should say the volume exists: " + err);
        assertEquals(metadata, Files.readString(root.resolve(name).resolve("metadata.json")));
    }

    @Test
    void changesLandInTheVolumeAndReachTheNextContainerWhileTheBaseStaysUnchanged() throws Exception {
        String name = volumeName();
        Path base = newBase();
        String before = HostState.treeFingerprint(base);
        docker.createVolume(name, Map.of("base", base.toString()));

        docker.run(name, "sh", "-euc", String.join("\n",
                "cat /data/hello.txt",
                "echo new > /data/new.txt",
                "echo appended >> /data/hello.txt",
                "rm /data/gone.txt",
                "rm -r /data/dir/sub",
                "mv /data/dir/nested.txt /data/moved.txt",
                "chmod 600 /data/public.txt",
                "mkdir -p /data/made/deeper && echo deep > /data/made/deeper/f",
                "ln -s hello.txt /data/link-to-hello",
                "dd if=/dev/zero of=/data/big bs=1M count=8 2>/dev/null"
        )).assertOk("writing container");

        String seen = docker.run(name, "sh", "-euc", String.join("\n",
                "cat /data/new.txt /data/hello.txt /data/moved.txt /data/made/deeper/f /data/link-to-hello",
                "test ! -e /data/gone.txt && echo gone-is-gone",
                "test ! -e /data/dir/sub && echo sub-is-gone",
                "test ! -e /data/dir/nested.txt && echo nested-moved",
                "stat -c '%a %s' /data/public.txt /data/big"
        )).assertOk("reading container").output();
        assertEquals(String.join("\n",
                "new", "hello from base", "appended", "nested file", "deep", "hello from base", "appended",
                "gone-is-gone", "sub-is-gone", "nested-moved", "600 " + Files.size(base.resolve("public.txt")),
                "644 " + (8 << 20), ""), seen);

        assertEquals(before, HostState.treeFingerprint(base), "the base directory must be byte-for-byte unchanged");
        Path upper = root.resolve(name).resolve("upper");
        assertEquals("new\n", Files.readString(upper.resolve("new.txt")), "changes land in the volume's upper directory");
        assertFalse(Files.exists(root.resolve(name).resolve("mountpoint")), "mountpoint/ exists only while mounted");
        assertFalse(Files.exists(root.resolve(name).resolve("workdir")), "workdir/ exists only while mounted");
    }

    @Test
    void aBaseDirectoryWithCommasColonsAndSpacesInItsPathMounts() throws Exception {
        // the original refused these (overlay options are comma- and colon-separated); they must just work
        Path parent = Files.createDirectories(work.resolve("odd, name: with=signs\\and more " + counter.incrementAndGet()));
        Path base = Files.createDirectories(parent.resolve("base,dir:1"));
        Files.writeString(base.resolve("inside.txt"), "odd base\n");
        String before = HostState.treeFingerprint(base);
        String name = volumeName();
        docker.createVolume(name, Map.of("base", base.toString()));
        assertEquals("odd base\n", docker.run(name, "sh", "-c", "cat /data/inside.txt && echo written > /data/new.txt")
                .assertOk("use a volume over an odd path").output());
        awaitUnmounted(name);
        assertEquals("written\n", docker.run(name, "cat", "/data/new.txt").assertOk("next use").output());
        assertEquals(before, HostState.treeFingerprint(base));
        assertEquals(base.toString(), Status.text(docker.inspectVolume(name).path("Status"), "base"));
    }

    @Test
    void containersRunningAtTheSameTimeShareOneView() throws Exception {
        String name = volumeName();
        Path base = newBase();
        String before = HostState.treeFingerprint(base);
        docker.createVolume(name, Map.of("base", base.toString()));
        String a = docker.start(name);
        String b = docker.start(name);

        docker.exec(a, "sh", "-c", "echo from-a > /data/a.txt").assertOk("write in a");
        assertEquals("from-a\n", docker.exec(b, "cat", "/data/a.txt").assertOk("read in b").output());
        docker.exec(b, "sh", "-c", "rm /data/hello.txt && echo from-b >> /data/a.txt").assertOk("change in b");
        assertEquals("from-a\nfrom-b\n", docker.exec(a, "cat", "/data/a.txt").assertOk("read in a").output());
        assertNotEquals(0, docker.exec(a, "cat", "/data/hello.txt").exitCode(), "a sees b's deletion");

        List<String> mounts = HostState.mountsUnder(root.resolve(name));
        assertEquals(1, mounts.size(), "both containers use one mount: " + mounts);

        docker.stop(a);
        assertEquals("from-a\nfrom-b\n", docker.exec(b, "cat", "/data/a.txt").assertOk("b after a stopped").output(),
                "the volume stays mounted while another container uses it");
        docker.stop(b);
        awaitUnmounted(name);
        assertEquals(before, HostState.treeFingerprint(base));
    }

    /**
     * A container working in a base directory, with another volume mounted below it, writes there:
     * the write copies the directory up. Both must survive that, as on the kernel overlay (the FUSE
     * overlay once made the kernel drop the directory's dentry: getcwd() then failed, git said
     * "Unable to read current working directory", and the nested volume was detached).
     */
    @Test
    void aWorkingDirectoryAndAVolumeNestedInABaseDirectorySurviveItsCopyUp() throws Exception {
        String outer = volumeName();
        docker.createVolume(outer, Map.of("base", newBase().toString()));
        String inner = volumeName();
        Path innerBase = Files.createDirectories(work.resolve("inner-base-" + counter.incrementAndGet()));
        Files.writeString(innerBase.resolve("inner.txt"), "inner volume\n");
        docker.createVolume(inner, Map.of("base", innerBase.toString()));

        String seen = docker.runAs(null, Map.of(outer, "/data", inner, "/data/dir/sub"), "sh", "-euc", String.join("\n",
                "cd /data/dir",
                "echo new > new.txt", // copies dir/ up
                "sleep 1",           // past any cache invalidation the server sends after its reply
                "pwd -P",
                "cat sub/inner.txt"
        )).assertOk("container working in a copied-up directory").output();
        assertEquals("/data/dir\ninner volume\n", seen);
    }

    @Test
    void volatileVolumeDiscardsChangesForTheNextUse() throws Exception {
        String name = volumeName();
        Path base = newBase();
        String before = HostState.treeFingerprint(base);
        docker.createVolume(name, Map.of("base", base.toString(), "volatile", "TRUE"));

        String a = docker.start(name);
        docker.exec(a, "sh", "-c", "echo scratch > /data/scratch.txt && rm /data/hello.txt").assertOk("write");
        String b = docker.start(name);
        assertEquals("scratch\n", docker.exec(b, "cat", "/data/scratch.txt").assertOk("read while in use").output(),
                "a volatile volume's changes are shared while it is in use");
        docker.stop(a);
        assertEquals("scratch\n", docker.exec(b, "cat", "/data/scratch.txt").assertOk("read after a stopped").output(),
                "changes survive until the last container is done");
        docker.stop(b);
        awaitUnmounted(name);
        assertTrue(Files.exists(root.resolve(name).resolve("upper").resolve("scratch.txt")),
                "a volatile volume's changes stay recoverable until its next use");

        String next = docker.run(name, "sh", "-c", "ls /data; cat /data/hello.txt").assertOk("next use").output();
        assertFalse(next.contains("scratch.txt"), "the next use starts from the base: " + next);
        assertTrue(next.contains("hello from base"), "the next use sees the base again: " + next);
        assertEquals(before, HostState.treeFingerprint(base));
    }

    @Test
    void dockerCpOntoARunningContainerLandsInTheVolume() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString()));
        String a = docker.start(name);
        Path file = Files.writeString(work.resolve("copied-" + counter.incrementAndGet() + ".txt"), "copied in\n");

        // dockerd mounts the container's volumes again for the copy, with the container's own mount ID
        docker.copyToContainer(a, file, "/data");
        assertEquals("copied in\n", docker.exec(a, "cat", "/data/" + file.getFileName()).assertOk("read the copy").output());
        assertEquals("hello from base\n", docker.copyFromContainer(a, "/data/hello.txt"));
        assertTrue(HostState.isMountPoint(root.resolve(name).resolve("mountpoint")),
                "the copy's Unmount must not unmount the volume under the running container");
        docker.exec(a, "sh", "-c", "echo still-writable > /data/after-cp").assertOk("write after docker cp");

        docker.stop(a);
        awaitUnmounted(name);
        assertEquals("copied in\nstill-writable\n",
                docker.run(name, "cat", "/data/" + file.getFileName(), "/data/after-cp").assertOk("next container").output());
    }

    @Test
    void removeDeletesTheVolumesStateButNotItsBase() throws Exception {
        String name = volumeName();
        Path base = newBase();
        String before = HostState.treeFingerprint(base);
        docker.createVolume(name, Map.of("base", base.toString()));
        docker.run(name, "sh", "-c", "echo x > /data/x && rm /data/hello.txt").assertOk("use");
        awaitUnmounted(name);
        assertTrue(Files.isDirectory(root.resolve(name)));

        docker.removeVolume(name);
        assertFalse(Files.exists(root.resolve(name)), "docker volume rm deletes the state directory: " + listRoot());
        assertFalse(docker.listVolumes().contains(name));
        assertEquals(before, HostState.treeFingerprint(base), "remove never touches the base");
    }

    @Test
    void inspectShowsTheVolumesStatus() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString(), "volatile", "yes"));

        JsonNode idle = docker.inspectVolume(name);
        assertEquals(plugin.name(), idle.path("Driver").asText());
        assertFalse(idle.path("CreatedAt").asText().isEmpty(), "CreatedAt: " + idle);
        Instant.parse(idle.path("CreatedAt").asText()); // RFC 3339
        JsonNode status = idle.path("Status");
        assertEquals(base.toString(), Status.text(status, "base"), "Status: " + status);
        assertEquals("true", Status.text(status, "volatile"), "Status: " + status);
        assertEquals("false", Status.text(status, "mounted"), "Status: " + status);
        assertEquals(daemonStrategy(), Status.text(status, "configuredStrategy"), "volumes without -o strategy follow the daemon: " + status);

        String a = docker.start(name);
        String b = docker.start(name);
        JsonNode used = docker.inspectVolume(name).path("Status");
        assertEquals("true", Status.text(used, "mounted"), "Status: " + used);
        assertEquals("2", Status.text(used, "activeMounts"), "Status: " + used);
        assertEquals(expectedStrategy(), Status.text(used, "strategy"), "Status: " + used);
        checkStrategyReason(used);
        assertEquals(root.resolve(name).resolve("mountpoint").toString(), docker.inspectVolume(name).path("Mountpoint").asText());

        docker.stop(a);
        assertEquals("1", Status.text(docker.inspectVolume(name).path("Status"), "activeMounts"));
        docker.stop(b);
        awaitUnmounted(name);
        assertEquals("false", Status.text(docker.inspectVolume(name).path("Status"), "mounted"));
    }

    /** What the mounted volume's Status must say about why its strategy was chosen (nothing by default). */
    protected void checkStrategyReason(JsonNode status) {
    }

    @Test
    void aNonRootContainerUserGetsOnlyWhatTheModesAllow() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString()));

        // one container running as nobody (one mount: FUSE mounts start a process each)
        String nobody = docker.start("65534:65534", Map.of(name, "/data"));
        assertEquals("65534\n", docker.exec(nobody, "id", "-u").assertOk("id").output());
        DockerOps.Result denied = docker.exec(nobody, "cat", "/data/secret.txt");
        assertNotEquals(0, denied.exitCode(), "uid 65534 must not read a 0600 root file: " + denied.output());
        assertTrue(denied.output().contains("Permission denied"), denied.output());
        DockerOps.Result notWritable = docker.exec(nobody, "sh", "-c", "echo x > /data/nobody.txt");
        assertNotEquals(0, notWritable.exitCode(), "uid 65534 must not create files in a 0755 root directory");
        assertTrue(notWritable.output().contains("Permission denied"), notWritable.output());
        assertNotEquals(0, docker.exec(nobody, "sh", "-c", "echo x >> /data/hello.txt").exitCode(),
                "uid 65534 must not write a 0644 root file");
        assertEquals("hello from base\n", docker.exec(nobody, "cat", "/data/hello.txt").assertOk("read a 0644 file").output());
        assertEquals("top secret\n", docker.execAs(nobody, "0", "cat", "/data/secret.txt").assertOk("root reads it").output());
        docker.stop(nobody);
        awaitUnmounted(name);
        assertFalse(Files.exists(root.resolve(name).resolve("upper").resolve("nobody.txt")));
        assertFalse(Files.exists(root.resolve(name).resolve("upper").resolve("hello.txt")), "a refused write copies nothing up");
    }

    /**
     * POSIX ACLs of the base apply in containers as the kernel applies them on the host: a named
     * user gets what its entry grants, the owning group no more than its entry (less than the
     * mode's group bits, the mask), and new files inherit a directory's default ACL.
     */
    @Test
    void theBaseDirectorysAclsApplyInContainers() throws Exception {
        String name = volumeName();
        Path base = newBase();
        Files.writeString(base.resolve("granted.txt"), "granted\n");
        Files.writeString(base.resolve("grouped.txt"), "grouped\n");
        Files.createDirectories(base.resolve("team"));
        setfacl(base, "chmod 600 granted.txt && setfacl -m u:65534:r granted.txt"
                + " && chown 0:4242 grouped.txt && chmod 660 grouped.txt && setfacl -m g::r,u:65534:rw grouped.txt"
                + " && chmod 770 team && setfacl -m u:65534:rwx,d:u:65534:rw,d:g::rwx team");
        docker.createVolume(name, Map.of("base", base.toString()));

        String nobody = docker.start("65534:65534", Map.of(name, "/data"));
        assertEquals("granted\n", docker.exec(nobody, "cat", "/data/granted.txt").assertOk("read by its ACL entry").output());
        docker.exec(nobody, "sh", "-c", "echo nobody >> /data/grouped.txt").assertOk("write by its ACL entry");
        docker.exec(nobody, "sh", "-c", "umask 022 && echo new > /data/team/new").assertOk("create in team");
        DockerOps.Result member = docker.execAs(nobody, "4300:4242", "sh", "-c", "echo member >> /data/grouped.txt");
        assertNotEquals(0, member.exitCode(), "the group's ACL entry allows reading only: " + member.output());
        assertTrue(member.output().contains("Permission denied"), member.output());
        assertEquals("grouped\nnobody\n", docker.execAs(nobody, "4300:4242", "cat", "/data/grouped.txt")
                .assertOk("the group reads").output());
        // inherited from the default ACL, the umask ignored: group rw (the mask), nobody rw
        assertEquals("-rw-rw----\n", docker.exec(nobody, "stat", "-c", "%A", "/data/team/new").assertOk("stat").output());
        docker.stop(nobody);
        awaitUnmounted(name);
        Path created = root.resolve(name).resolve("upper").resolve("team").resolve("new");
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(created)));
    }

    private static void setfacl(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "setting up ACLs (the acl package): " + out);
    }

    @Test
    void restartedDaemonKeepsServingContainersThatUseAVolume() throws Exception {
        String name = volumeName();
        Path base = newBase();
        String before = HostState.treeFingerprint(base);
        docker.createVolume(name, Map.of("base", base.toString()));
        String a = docker.start(name);
        docker.exec(a, "sh", "-c", "echo before-kill > /data/f1").assertOk("write before the kill");

        plugin.kill();
        docker.exec(a, "sh", "-c", "cat /data/f1 && echo while-down > /data/f2").assertOk("use while the daemon is down");
        plugin.start();

        docker.exec(a, "sh", "-c", "echo after-restart > /data/f3").assertOk("write after the restart");
        String b = docker.start(name);
        assertEquals("before-kill\nwhile-down\nafter-restart\n",
                docker.exec(b, "cat", "/data/f1", "/data/f2", "/data/f3").assertOk("a new container after the restart").output());
        assertEquals(1, HostState.mountsUnder(root.resolve(name)).size(),
                "the restarted daemon re-adopts the mount instead of mounting again: " + HostState.mountsUnder(root.resolve(name)));

        docker.stop(a);
        assertEquals("after-restart\n", docker.exec(b, "cat", "/data/f3").assertOk("b after a stopped").output());
        docker.stop(b);
        awaitUnmounted(name);
        assertEquals(List.of(), volumeProcesses(name), "no process serves the volume after its last Unmount");
        assertEquals("before-kill\nwhile-down\nafter-restart\n",
                docker.run(name, "cat", "/data/f1", "/data/f2", "/data/f3").assertOk("next use").output());
        assertEquals(before, HostState.treeFingerprint(base));
    }

    /**
     * The per-volume strategies {@link #restartedDaemonKeepsServingAnOverlayAndAFuseVolumeOfOneContainer}
     * mixes in one container, with the strategy inspect must then show for each.
     */
    protected Map<String, String> mixedStrategies() {
        return Map.of("overlay", "overlay", "fuse", "fuse");
    }

    @Test
    void restartedDaemonKeepsServingAnOverlayAndAFuseVolumeOfOneContainer() throws Exception {
        Map<String, String> volumes = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (Map.Entry<String, String> strategy : mixedStrategies().entrySet()) {
            String name = volumeName();
            docker.createVolume(name, Map.of("base", newBase().toString(), "strategy", strategy.getKey()));
            volumes.put(name, "/" + strategy.getKey());
            expected.put(name, strategy.getValue());
        }
        String a = docker.start(null, volumes);
        for (String name : volumes.keySet()) {
            assertEquals(expected.get(name), Status.text(docker.inspectVolume(name).path("Status"), "strategy"));
        }
        String writeAll = volumes.values().stream().map(dir -> "echo $1 >> " + dir + "/log && cat " + dir + "/hello.txt >/dev/null")
                .reduce((x, y) -> x + " && " + y).orElseThrow();

        docker.exec(a, "sh", "-c", writeAll, "sh", "before").assertOk("write before the kill");
        plugin.kill();
        docker.exec(a, "sh", "-c", writeAll, "sh", "down").assertOk("write while the daemon is down");
        plugin.start();
        docker.exec(a, "sh", "-c", writeAll, "sh", "after").assertOk("write after the restart");
        for (String name : volumes.keySet()) {
            JsonNode status = docker.inspectVolume(name).path("Status");
            assertEquals("true", Status.text(status, "mounted"), "re-adopted after the restart: " + status);
            assertEquals(expected.get(name), Status.text(status, "strategy"), "re-adopted with its strategy: " + status);
        }

        docker.stop(a);
        for (String name : volumes.keySet()) {
            awaitUnmounted(name);
            assertEquals(List.of(), volumeProcesses(name), "nothing serves " + name + " after its last Unmount");
            assertEquals("before\ndown\nafter\n", Files.readString(root.resolve(name).resolve("upper/log")));
        }
    }

    @Test
    void aContainerThatStopsWhileThePluginIsDownDoesNotLeaveItsVolumeInUse() throws Exception {
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString(), "volatile", "true"));
        String a = docker.start(name);
        docker.exec(a, "sh", "-c", "echo scratch > /data/scratch.txt").assertOk("write");

        plugin.kill();
        docker.stop(a); // dockerd's Unmount fails while the plugin is down, and is never sent again
        plugin.start();

        JsonNode status = docker.inspectVolume(name).path("Status");
        assertEquals("0", Status.text(status, "activeMounts"), "no container uses it any more: " + status);
        String next = docker.run(name, "ls", "/data").assertOk("next use").output();
        assertFalse(next.contains("scratch.txt"), "a volatile volume's next use starts from the base: " + next);
        assertTrue(next.contains("hello.txt"), next);
        awaitUnmounted(name);
        assertEquals(List.of(), volumeProcesses(name), "nothing serves the volume once its last use ended");
    }

    @Test
    void aBaseRemovedWhileAContainerUsesTheVolumeIsNamedToTheNextContainer() throws Exception {
        // dockerd lists a volume before it starts a container with it; with the base deleted under the mount that
        // failed with dockerd's own "readdirent .../mountpoint: no such file or directory"
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString()));
        String a = docker.start(name);
        deleteTree(base);

        DockerException refused = assertThrows(DockerException.class, () -> docker.run(name, "ls", "/data"));

        assertTrue(refused.getMessage().contains("its base directory " + base + " was removed while the volume was "
                + "mounted"), refused.getMessage());
        assertTrue(refused.getMessage().contains("docker ps --filter volume=" + name), refused.getMessage());
        docker.stop(a);
        awaitUnmounted(name);
        Files.createDirectories(base);
        Files.writeString(base.resolve("restored.txt"), "restored\n");
        assertEquals("restored\n", docker.run(name, "cat", "/data/restored.txt").assertOk("restored base").output());
    }

    @Test
    void aVolumeHeldByAnotherNamespaceWhenItsLastContainerStopsIsUnmountedOnceThatEnds() throws Exception {
        // A process that unshares a mount namespace copies every host mount, the volume's too, and holds that copy
        // while it lives (tests of other suites on this host do, as tools do): seen as "process ... (sh) in another
        // mount namespace" for longer than the last Unmount's settle time, which then left the volume mounted for good
        String name = volumeName();
        docker.createVolume(name, Map.of("base", newBase().toString()));
        String a = docker.start(name);
        Process holder = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sleep", "6").start();
        Path mountpoint = root.resolve(name).resolve("mountpoint");
        await("the unshared namespace holds a copy of the volume's mount", () -> !holder.isAlive()
                || HostState.mountsIn(holder.pid()).stream().anyMatch(m -> m.contains(" " + mountpoint + " ")));
        assertTrue(holder.isAlive(), "the holder ended before it was seen holding the mount");

        docker.stop(a);

        awaitUnmounted(name);
        assertFalse(holder.isAlive(), "unmounted only once the copy of the mount was gone");
    }

    @Test
    void aBaseReplacedWhileAContainerUsesTheVolumeIsShownByInspect() throws Exception {
        // the path looks fine, but the mount keeps showing the directory that was there when it was made
        String name = volumeName();
        Path base = newBase();
        docker.createVolume(name, Map.of("base", base.toString()));
        String a = docker.start(name);
        Files.move(base, work.resolve("moved-aside-" + counter.incrementAndGet()));
        Files.createDirectories(base);

        String problem = Status.text(docker.inspectVolume(name).path("Status"), "problem");

        assertTrue(problem.contains("its base directory " + base + " was replaced while the volume was mounted")
                && problem.contains("docker ps --filter volume=" + name), problem);
        docker.stop(a);
        awaitUnmounted(name);
        assertFalse(docker.inspectVolume(name).path("Status").has("problem"), "unmounted: nothing to tell");
    }

    @Test
    void aMountTheOriginalGoPluginLeftOfABaseTypedWithATrailingSlashIsAdopted() throws Exception {
        // The original stores the base as typed (-o base=/srv/data/) and mounts it with mount(2) so, its upper and
        // workdir spelled .../upper/ and .../workdir/: the kernel shows the layers so, which looked like another
        // overlay's. A mount it left (a container still running when it was replaced) must be the volume's.
        Path legacyRoot = Files.createDirectories(work.resolve("go-root-" + counter.incrementAndGet()));
        Path base = newBase();
        String name = volumeName();
        Path dir = Files.createDirectories(legacyRoot.resolve(name));
        Files.writeString(dir.resolve("metadata.json"), "{\"BaseDirPath\":\"" + base + "/\",\"Volatile\":false}");
        Files.createDirectories(dir.resolve("activemounts"));
        Files.writeString(Files.createDirectories(dir.resolve("upper")).resolve("added.txt"), "added by the original\n");
        Path mountpoint = Files.createDirectories(dir.resolve("mountpoint"));
        Files.createDirectories(dir.resolve("workdir"));
        run("mount", "-t", "overlay", "docker-on-top_" + name, "-o", "lowerdir=" + base + "/,upperdir=" + dir
                + "/upper/,workdir=" + dir + "/workdir/", mountpoint.toString());

        plugin.stop();
        PluginProcess legacy = new PluginProcess(DRIVER, legacyRoot, daemonStrategy(), work);
        try {
            legacy.start();
            docker.removeLater(name);
            String seen = docker.run(name, "sh", "-c", "cat /data/added.txt /data/hello.txt; echo new > /data/new.txt")
                    .assertOk("use").output();
            assertEquals("added by the original\nhello from base\n", seen);
            assertEquals("new\n", Files.readString(dir.resolve("upper/new.txt")), "written to the volume's upper");
            await("the adopted mount released by the container's Unmount",
                    () -> HostState.mountsUnder(legacyRoot).isEmpty());
            List<String> problems = docker.cleanUp();
            assertTrue(problems.isEmpty(), problems.toString());
        } finally {
            try {
                if (!legacy.isAlive()) {
                    System.err.println("the daemon on the original's root died; its log:\n" + legacy.log());
                }
                legacy.stop();
                if (!HostState.mountsUnder(legacyRoot).isEmpty()) {
                    run("umount", "-l", mountpoint.toString());
                }
            } finally {
                plugin.start();
            }
        }
    }

    @Test
    void aVolumeInTheOriginalGoPluginsLayoutMountsWithItsChangesIntact() throws Exception {
        // The original keeps only BaseDirPath and Volatile, and its upper uses the kernel's whiteouts
        // (0/0 character devices). Its state is on a plain filesystem: it only ever used the kernel overlay.
        Path legacyRoot = Files.createDirectories(work.resolve("go-root-" + counter.incrementAndGet()));
        Path base = newBase();
        String before = HostState.treeFingerprint(base);
        String name = volumeName();
        Path dir = Files.createDirectories(legacyRoot.resolve(name));
        Files.writeString(dir.resolve("metadata.json"), "{\"BaseDirPath\":\"" + base + "\",\"Volatile\":false}");
        Files.createDirectories(dir.resolve("activemounts"));
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Files.writeString(upper.resolve("added.txt"), "added by the original\n");
        Files.writeString(upper.resolve("hello.txt"), "changed by the original\n");
        run("mknod", upper.resolve("gone.txt").toString(), "c", "0", "0");

        // the original's root is served under the suite's driver name (see DRIVER) by a second daemon
        plugin.stop();
        PluginProcess legacy = new PluginProcess(DRIVER, legacyRoot, daemonStrategy(), work);
        try {
            legacy.start();
            assertTrue(docker.listVolumes().contains(name), "docker volume ls shows the original's volume");
            docker.removeLater(name);
            String seen = docker.run(name, "sh", "-c", "cat /data/added.txt /data/hello.txt; ls /data").assertOk("use").output();
            assertTrue(seen.startsWith("added by the original\nchanged by the original\n"), seen);
            assertFalse(seen.contains("gone.txt"), "the original's whiteout hides the base file: " + seen);
            assertTrue(seen.contains("public.txt"), seen);
            assertEquals(before, HostState.treeFingerprint(base));
            List<String> problems = docker.cleanUp();
            assertTrue(problems.isEmpty(), problems.toString());
            assertFalse(Files.exists(legacyRoot.resolve(name)), "removing the original's volume deletes its state");
        } finally {
            try {
                if (!legacy.isAlive()) {
                    System.err.println("the daemon on the original's root died; its log:\n" + legacy.log());
                }
                legacy.stop();
                assertEquals(List.of(), HostState.mountsUnder(legacyRoot));
            } finally {
                plugin.start();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A fresh volume name, unique in the daemon's root and in dockerd. */
    protected String volumeName() {
        return "v" + counter.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    /**
     * A fresh base directory: files of several modes (one readable only by root), a nested
     * directory, a symlink, an empty directory and a file the tests delete through the volume.
     */
    protected Path newBase() throws IOException {
        Path base = Files.createDirectories(work.resolve("base-" + counter.incrementAndGet()));
        Files.writeString(base.resolve("hello.txt"), "hello from base\n");
        Files.writeString(base.resolve("public.txt"), "public\n");
        Files.writeString(base.resolve("gone.txt"), "delete me\n");
        Path secret = Files.writeString(base.resolve("secret.txt"), "top secret\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Files.createDirectories(base.resolve("dir/sub/deeper"));
        Files.writeString(base.resolve("dir/nested.txt"), "nested file\n");
        Files.writeString(base.resolve("dir/sub/deeper/leaf.txt"), "leaf\n");
        Files.createDirectories(base.resolve("empty"));
        Files.createSymbolicLink(base.resolve("link"), Path.of("dir/nested.txt"));
        for (Path p : List.of(base, base.resolve("dir"), base.resolve("dir/sub"), base.resolve("dir/sub/deeper"), base.resolve("empty"))) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return base;
    }

    /** Waits until the volume is no longer mounted (dockerd unmounts after a container's exit is reported). */
    protected void awaitUnmounted(String name) throws InterruptedException {
        Path mountpoint = root.resolve(name).resolve("mountpoint");
        await("volume " + name + " unmounted (mounts: " + HostState.mountsUnder(root.resolve(name)) + ")",
                () -> HostState.mountsUnder(root.resolve(name)).isEmpty() && !Files.exists(mountpoint, LinkOption.NOFOLLOW_LINKS));
    }

    private void awaitNoVolumeMounts() throws InterruptedException {
        await("no volume mounts under " + root,
                () -> HostState.mountsUnder(root).stream().noneMatch(m -> !m.startsWith(root + " ")));
        List<String> serving = volumeProcesses(null);
        assertEquals(List.of(), serving, "no process may serve a volume once no container uses it");
    }

    /** The processes (other than the daemon) whose command line names the volume's state (FUSE servers). */
    protected List<String> volumeProcesses(String name) {
        String needle = name == null ? root.toString() + "/" : root.resolve(name).toString();
        List<String> found = new ArrayList<>(HostState.processesMentioning(needle));
        found.removeIf(p -> plugin.isAlive() && p.startsWith(plugin.pid() + ":"));
        return found;
    }

    protected static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(SETTLE);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("timed out after " + SETTLE + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The names the daemon itself lists (VolumeDriver.List on its socket, bypassing dockerd). */
    protected List<String> pluginVolumes() throws IOException {
        UnixHttp.Reply reply = UnixHttp.request(plugin.socket(), "POST", "/VolumeDriver.List", "{}");
        assertEquals(200, reply.status(), "VolumeDriver.List: " + reply);
        List<String> names = new ArrayList<>();
        JSON.readTree(reply.body()).path("Volumes").forEach(v -> names.add(v.path("Name").asText()));
        return names;
    }

    private List<String> listRoot() throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    protected static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    protected static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Reads the plugin's free-form Status map (shown by docker volume inspect). */
    static final class Status {
        private Status() {
        }

        static String text(JsonNode status, String field) {
            JsonNode value = status.get(field);
            if (value == null) {
                throw new AssertionError("Status has no '" + field + "': " + status);
            }
            return value.asText();
        }
    }

    static Map<String, String> opts(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
