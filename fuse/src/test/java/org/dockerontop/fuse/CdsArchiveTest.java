package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * src/fuse-cds-archive.sh and the launcher src/bin/docker-on-top-fuse together: the training mount
 * writes the class-data-sharing archive beside the jar, the launcher's servers map it, and a stale
 * one (the jar replaced since) is ignored without a word.
 */
class CdsArchiveTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    private static final Path SCRIPT = REPO.resolve("src/fuse-cds-archive.sh");
    private static final Path LAUNCHER = REPO.resolve("src/bin/docker-on-top-fuse");

    @TempDir
    Path tmp;
    private Path jar;
    private Path archive;

    @BeforeEach
    void needsFuseAndAJar() throws IOException {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
        assumeTrue(Files.isExecutable(SCRIPT) && Files.isExecutable(LAUNCHER), "needs the repository's scripts");
        jar = testJar(Files.createDirectories(tmp.resolve("lib")).resolve("docker-on-top-fuse.jar"));
        archive = tmp.resolve("lib/docker-on-top-fuse.jsa");
    }

    /**
     * A jar of this build's classes (the real one is packaged only after the tests): the class
     * directories packed in, the dependency jars named in its Class-Path. CDS archives no classes
     * from directories, so the manifest-only jar the parity tests use would not do.
     */
    private static Path testJar(Path jar) throws IOException {
        List<Path> dirs = new ArrayList<>();
        List<String> jars = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.contains("surefire") || p.endsWith("test-classes")) {
                continue;
            }
            if (Files.isDirectory(p)) {
                dirs.add(p);
            } else if (Files.isRegularFile(p)) {
                jars.add(p.toUri().toString());
            }
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FuseMain.class.getName());
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", jars));
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            for (Path dir : dirs) {
                pack(dir, out);
            }
        }
        return jar;
    }

    private static void pack(Path dir, JarOutputStream out) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String name = dir.relativize(f).toString();
                if (name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    private record Result(int status, String output) {
    }

    private Result run(Map<String, String> env, String... argv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "returned: " + List.of(argv));
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private Result train(Path launcher, Path tmpDir) throws IOException, InterruptedException {
        return run(Map.of("TMPDIR", tmpDir.toString()), SCRIPT.toString(), jar.toString(), launcher.toString());
    }

    /** Mounts through the launcher in its background mode, as the bench and fuse-overlayfs users do. */
    private Result mountWithLauncher(OverlayMount m, Path log) throws IOException, InterruptedException {
        return run(Map.of("DOCKER_ON_TOP_FUSE_JAR", jar.toString()), LAUNCHER.toString(),
                "-o", m.options() + ",log=" + log, m.mnt.toString());
    }

    private static String maps(long pid) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
    }

    @Test
    void theTrainingMakesAnArchiveTheLaunchersServersMap() throws Exception {
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        Result training = train(LAUNCHER, scratch);
        assertEquals(0, training.status(), training.output());
        assertTrue(Files.size(archive) > 0, "the archive beside the jar");
        try (Stream<Path> left = Files.list(scratch); Stream<Path> lib = Files.list(jar.getParent())) {
            assertEquals(List.of(), left.toList(), "the training's temporary layers are gone");
            assertEquals(2, lib.count(), "only the jar and the archive in its directory");
        }
        // trained as root, on the request loop root mounts use: its classes come from the archive
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Result listing = run(Map.of(), java, "-Xshare:on", "-XX:SharedArchiveFile=" + archive,
                "-XX:+PrintSharedArchiveAndExit", "-cp", jar.toString());
        assertEquals(0, listing.status(), listing.output());
        for (Class<?> c : List.of(JavaLoop.class, JavaRequests.class, NodeTable.class)) {
            assertTrue(listing.output().contains(" " + c.getName() + " "), c.getName() + " is in the archive");
        }

        try (OverlayMount m = new OverlayMount(tmp.resolve("v"))) {
            Files.writeString(m.lower.resolve("f"), "x");
            Path log = tmp.resolve("server.log");
            Result mount = mountWithLauncher(m, log);
            assertEquals(0, mount.status(), mount.output());
            assertEquals("", mount.output(), "the launcher says nothing");
            long server = ServerProcess.of(m.mnt);
            assertTrue(maps(server).contains(archive.toString()), "the server maps " + archive);
            assertEquals("x", Files.readString(m.mnt.resolve("f")));
        }
    }

    @Test
    void aStaleArchiveIsIgnoredSilently() throws Exception {
        Result training = train(LAUNCHER, Files.createDirectories(tmp.resolve("scratch")));
        assertEquals(0, training.status(), training.output());
        // the jar replaced after the archive was made: the JVM refuses the archive by the jar's time stamp
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));

        try (OverlayMount m = new OverlayMount(tmp.resolve("v"))) {
            Files.writeString(m.lower.resolve("f"), "x");
            Path log = tmp.resolve("server.log");
            Result mount = mountWithLauncher(m, log);
            assertEquals(0, mount.status(), mount.output());
            assertEquals("", mount.output(), "no warning about the archive");
            long server = ServerProcess.of(m.mnt);
            assertFalse(maps(server).contains(archive.toString()), "the stale archive is not in use");
            assertEquals("x", Files.readString(m.mnt.resolve("f")));
            m.unmount();
            assertFalse(Files.exists(log) && Files.readString(log).contains("archive"),
                    "nothing about the archive in the server's log");
        }
    }

    @Test
    void aFailedTrainingLeavesNothingAndRemovesAStaleArchive() throws Exception {
        Files.writeString(archive, "an archive of some earlier jar");
        Path broken = tmp.resolve("broken-launcher");
        Files.writeString(broken, "#!/bin/sh\necho cannot serve >&2\nexit 3\n");
        broken.toFile().setExecutable(true);
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));

        Result training = train(broken, scratch);

        assertEquals(1, training.status(), training.output());
        assertTrue(training.output().contains("cannot serve"), "the server's output is shown: " + training.output());
        assertFalse(Files.exists(archive), "the stale archive is removed");
        try (Stream<Path> left = Files.list(scratch); Stream<Path> lib = Files.list(jar.getParent())) {
            assertEquals(List.of(), left.toList(), "the training's temporary layers are gone");
            assertEquals(List.of(jar), lib.toList(), "nothing but the jar in its directory");
        }
    }
}
