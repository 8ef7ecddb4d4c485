package org.dockerontop.plugin.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FuseCommandTest {
    @TempDir
    Path dir;
    private final Path java = Path.of("/opt/java/bin/java");

    @Test
    void theEnvironmentVariableWins() throws Exception {
        Path exe = executable(dir.resolve("bin/my-fuse"));
        Files.createDirectories(dir.resolve("plugin"));
        Files.writeString(dir.resolve("plugin/" + FuseCommand.JAR), "jar");

        FuseCommand c = FuseCommand.resolve(Map.of(FuseCommand.ENV, exe.toString()), Optional.of(dir.resolve("plugin")), java);

        assertEquals(List.of(exe.toString()), c.argv());
    }

    @Test
    void aBareNameInTheVariableIsLookedUpOnThePath() throws Exception {
        Path exe = executable(dir.resolve("bin/my-fuse"));
        FuseCommand c = FuseCommand.resolve(Map.of(FuseCommand.ENV, "my-fuse", "PATH", "/nonexistent:" + dir.resolve("bin")),
                Optional.empty(), java);
        assertEquals(List.of(exe.toString()), c.argv());
    }

    @Test
    void aVariableNamingNothingExecutableIsAClearRefusal() {
        StrategyUnavailableException e = assertThrows(StrategyUnavailableException.class,
                () -> FuseCommand.resolve(Map.of(FuseCommand.ENV, dir.resolve("nope").toString()), Optional.empty(), java));
        assertTrue(e.getMessage().contains(FuseCommand.ENV), e.getMessage());
    }

    @Test
    void theJarBesideThePluginRunsWithTheSameJava() throws Exception {
        executable(dir.resolve("bin/" + FuseCommand.EXECUTABLE));
        Files.createDirectories(dir.resolve("plugin"));
        Path jar = Files.writeString(dir.resolve("plugin/" + FuseCommand.JAR), "jar");

        FuseCommand c = FuseCommand.resolve(Map.of("PATH", dir.resolve("bin").toString()), Optional.of(dir.resolve("plugin")), java);

        assertEquals(java.toString(), c.argv().get(0));
        assertEquals(List.of("-jar", jar.toString()), c.argv().subList(c.argv().size() - 2, c.argv().size()));
        assertTrue(c.argv().containsAll(FuseCommand.JVM_OPTIONS), "small-daemon JVM options: " + c.argv());
    }

    @Test
    void theNativeHeapIsTrimmedOnlyByJvmsThatKnowTheOption() {
        // a JVM refuses to start with an option it does not know: 17 before 17.0.9, and 18-20, have none
        for (String v : List.of("17.0.9", "17.0.15+6", "21.0.1", "25")) {
            assertTrue(FuseCommand.jvmOptions(Runtime.Version.parse(v)).contains("-XX:TrimNativeHeapInterval=5000"), v);
        }
        for (String v : List.of("17", "17.0.2", "17.0.8+7", "20.0.2")) {
            assertFalse(FuseCommand.jvmOptions(Runtime.Version.parse(v)).stream().anyMatch(o -> o.contains("TrimNative")), v);
        }
    }

    @Test
    void thisJvmStartsWithTheOptionsItIsGiven() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(FuseCommand.JVM_OPTIONS);
        cmd.add("-version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), cmd + ":\n" + out);
    }

    @Test
    void theArchiveBesideTheJarIsHandedToTheJvmQuietly() throws Exception {
        Files.createDirectories(dir.resolve("plugin"));
        Files.writeString(dir.resolve("plugin/" + FuseCommand.JAR), "jar");
        Path jsa = Files.writeString(dir.resolve("plugin/" + FuseCommand.ARCHIVE), "archive");

        List<String> argv = FuseCommand.resolve(Map.of(), Optional.of(dir.resolve("plugin")), java).argv();

        int jar = argv.indexOf("-jar");
        assertTrue(argv.subList(0, jar).containsAll(List.of("-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off,cds+dynamic=off")),
                "the archive and its warnings off, before -jar: " + argv);
    }

    @Test
    void noArchiveNoArchiveOption() throws Exception {
        Files.createDirectories(dir.resolve("plugin"));
        Files.writeString(dir.resolve("plugin/" + FuseCommand.JAR), "jar");

        List<String> argv = FuseCommand.resolve(Map.of(), Optional.of(dir.resolve("plugin")), java).argv();

        assertTrue(argv.stream().noneMatch(a -> a.startsWith("-XX:SharedArchiveFile")), argv.toString());
    }

    @Test
    void elseTheCommandOnThePath() throws Exception {
        Path exe = executable(dir.resolve("bin/" + FuseCommand.EXECUTABLE));
        FuseCommand c = FuseCommand.resolve(Map.of("PATH", dir.resolve("bin").toString()), Optional.of(dir), java);
        assertEquals(List.of(exe.toString()), c.argv());
    }

    @Test
    void nothingFoundSaysWhatToInstallOrSet() {
        StrategyUnavailableException e = assertThrows(StrategyUnavailableException.class,
                () -> FuseCommand.resolve(Map.of("PATH", dir.toString()), Optional.of(dir), java));
        assertTrue(e.getMessage().contains("install docker-on-top-fuse or set " + FuseCommand.ENV), e.getMessage());
    }

    @Test
    void docker_on_top_fuseIsRecognisedByItsJarOrItsName() throws Exception {
        Path launcher = executable(dir.resolve("lib/" + FuseCommand.EXECUTABLE));
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("bin")).resolve("dot-fuse"), launcher);
        Path wrapper = executable(dir.resolve("bin/my-wrapper"));

        assertTrue(new FuseCommand(List.of(java.toString(), "-Xmx96m", "-jar", "/opt/x/" + FuseCommand.JAR), "t").isDockerOnTopFuse());
        assertTrue(new FuseCommand(List.of(launcher.toString()), "t").isDockerOnTopFuse());
        assertTrue(new FuseCommand(List.of(FuseCommand.EXECUTABLE), "t").isDockerOnTopFuse());
        assertTrue(new FuseCommand(List.of(link.toString()), "t").isDockerOnTopFuse(), "a symlink to the launcher");
        assertFalse(new FuseCommand(List.of("/usr/bin/fuse-overlayfs"), "t").isDockerOnTopFuse());
        assertFalse(new FuseCommand(List.of(wrapper.toString()), "t").isDockerOnTopFuse());
        assertFalse(new FuseCommand(List.of(java.toString(), "-jar", "/opt/other.jar"), "t").isDockerOnTopFuse());
    }

    @Test
    void optionValuesEscapeCommasColonsAndBackslashes() {
        Layers l = new Layers(Path.of("/b,a:s\\e"), Path.of("/v/up"), Path.of("/v/w,k"), Path.of("/v/mp"));
        assertEquals("lowerdir=/b\\,a\\:s\\\\e,upperdir=/v/up,workdir=/v/w\\,k", OverlayOptions.of(l));
    }

    private static Path executable(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }
}
