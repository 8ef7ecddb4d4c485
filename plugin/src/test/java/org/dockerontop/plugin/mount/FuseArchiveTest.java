package org.dockerontop.plugin.mount;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The plugin's own start of the FUSE server ({@link FuseCommand} running the jar beside the plugin's)
 * with a class-data-sharing archive beside that jar: a matching archive is mapped by the server, a
 * stale one (the jar replaced since) is ignored without a word in the volume's fuse.log.
 */
class FuseArchiveTest {
    @TempDir
    Path dir;
    private Path pluginDir;
    private Path jar;
    private Path archive;

    @BeforeEach
    void jarBesideAPlugin() throws Exception {
        assumeTrue(Files.isRegularFile(TestMounts.ourFuseJar()), "needs the built docker-on-top-fuse jar");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
        pluginDir = Files.createDirectories(dir.resolve("lib"));
        jar = Files.copy(TestMounts.ourFuseJar(), pluginDir.resolve(FuseCommand.JAR));
        archive = pluginDir.resolve(FuseCommand.ARCHIVE);
        // a small archive (the classes of --version), made as src/fuse-cds-archive.sh makes the real one
        Process p = new ProcessBuilder(java().toString(), "-XX:ArchiveClassesAtExit=" + archive, "-jar", jar.toString(), "--version")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dump.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the archive dump finished");
        assertTrue(Files.size(archive) > 0, "an archive was written: " + Files.readString(dir.resolve("dump.log")));
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        TestMounts.unmountAllUnder(dir);
    }

    private static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private FuseProcessStrategy strategy() throws Exception {
        FuseCommand cmd = FuseCommand.resolve(Map.of("PATH", "/nonexistent"), Optional.of(pluginDir), java());
        assertTrue(cmd.argv().contains("-XX:SharedArchiveFile=" + archive), cmd.toString());
        return new FuseProcessStrategy(cmd, Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /** The file names the process has mapped. */
    private static String maps(ProcessHandle p) throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(p.pid()), "maps"));
    }

    @Test
    void theServerMapsTheArchive() throws Exception {
        Layers layers = TestMounts.layers(dir.resolve("v"));
        FuseProcessStrategy fuse = strategy();

        fuse.mount(layers);

        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        assertEquals(1, servers.size());
        assertTrue(maps(servers.get(0)).contains(archive.toString()), "the server maps " + archive);
        assertEquals("from the base\n", Files.readString(layers.mountpoint().resolve("base.txt")));
        fuse.unmount(layers.mountpoint());
        assertFalse(TestMounts.isMounted(layers.mountpoint()));
    }

    @Test
    void aStaleArchiveIsIgnoredSilently() throws Exception {
        // a jar replaced after the archive was made: the JVM refuses the archive by the jar's time stamp
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        Layers layers = TestMounts.layers(dir.resolve("v"));
        FuseProcessStrategy fuse = strategy();

        fuse.mount(layers);

        List<ProcessHandle> servers = FuseProcesses.serving(layers.mountpoint());
        assertEquals(1, servers.size());
        assertFalse(maps(servers.get(0)).contains(archive.toString()), "the stale archive is not in use");
        assertEquals("from the base\n", Files.readString(layers.mountpoint().resolve("base.txt")));
        fuse.unmount(layers.mountpoint());
        String log = Files.readString(FuseProcessStrategy.logFile(layers));
        // the first line is the command the plugin ran (it names the archive); then the server's output
        assertTrue(log.lines().skip(1).noneMatch(l -> l.contains("cds") || l.contains("archive")),
                "nothing about the archive in fuse.log:\n" + log);
    }
}
