package org.dockerontop.plugin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launchers in src/bin start their JVM in a UTF-8 locale whatever locale they are given. Java 17 encodes file
 * names (and a child's argv) in the locale's charset: under systemd or {@code env -i} that is often POSIX (ASCII),
 * and then every base directory with a character beyond ASCII fails (InvalidPathException) although Docker sent
 * it as UTF-8. The JVM is replaced by a script that prints the charset it would have run in.
 */
class LaunchersTest {
    private static final Path BIN = Path.of(System.getProperty("user.dir")).resolveSibling("src/bin");

    @TempDir
    Path dir;

    @Test
    void bothLaunchersRunTheirJvmInAUtf8LocaleWhateverTheyAreGiven() throws Exception {
        Path fakeJava = fakeJava("locale charmap");
        Path jar = Files.writeString(dir.resolve("any.jar"), "not run");
        for (String launcher : List.of("docker-on-top", "docker-on-top-fuse")) {
            for (Map<String, String> locale : List.<Map<String, String>>of(Map.of(), Map.of("LANG", "C"),
                    Map.of("LC_ALL", "POSIX"), Map.of("LANG", "C.UTF-8", "LC_CTYPE", "C"))) {
                assertEquals("UTF-8", run(launcher, fakeJava, jar, locale), launcher + " given " + locale);
            }
        }
    }

    @Test
    void aUtf8LocaleIsKeptAsItIs() throws Exception {
        Path fakeJava = fakeJava("echo \"LC_ALL=$LC_ALL LANG=$LANG\"");
        Path jar = Files.writeString(dir.resolve("any.jar"), "not run");
        for (String launcher : List.of("docker-on-top", "docker-on-top-fuse")) {
            assertEquals("LC_ALL= LANG=C.UTF-8", run(launcher, fakeJava, jar, Map.of("LANG", "C.UTF-8")), launcher);
        }
    }

    @Test
    void javaOverridesJavaHomeInBothLaunchers() throws Exception {
        // a shell with JAVA_HOME exported (as many have) must not silently win over an explicit JAVA=
        Path fakeJava = fakeJava("echo from-JAVA");
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("bin/java"), "#!/bin/sh\necho from-JAVA_HOME\n");
        Files.setPosixFilePermissions(home.resolve("bin/java"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = Files.writeString(dir.resolve("any.jar"), "not run");
        for (String launcher : List.of("docker-on-top", "docker-on-top-fuse")) {
            assertEquals("from-JAVA", run(launcher, fakeJava, jar, Map.of("JAVA_HOME", home.toString())), launcher);
        }
    }

    @Test
    void theFuseLauncherTrimsTheNativeHeapOnlyWhereTheJavaKnowsTheOption() throws Exception {
        // a JVM refuses to start with an option it does not know: the launcher reads the JDK's release file
        Path jar = Files.writeString(dir.resolve("any.jar"), "not run");
        for (Map.Entry<String, Boolean> c : Map.of("17.0.15", true, "17.0.9", true, "21.0.2", true,
                "17.0.2", false, "20.0.1", false).entrySet()) {
            Path home = Files.createDirectories(dir.resolve("jdk-" + c.getKey() + "/bin"));
            Files.writeString(home.resolveSibling("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"" + c.getKey() + "\"\n");
            Path java = home.resolve("java");
            Files.writeString(java, "#!/bin/sh\necho \"$@\"\n");
            Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
            String args = run("docker-on-top-fuse", java, jar, Map.of());
            assertEquals(c.getValue(), args.contains("-XX:TrimNativeHeapInterval=5000"), c.getKey() + ": " + args);
        }
        // no release file (a java of unknown version): nothing it might not know
        assertTrue(!run("docker-on-top-fuse", fakeJava("echo \"$@\""), jar, Map.of()).contains("TrimNative"));
    }

    /** A "java" that runs {@code command} instead of a JVM, to show what environment it was given. */
    private Path fakeJava(String command) throws IOException {
        Path java = dir.resolve("java");
        Files.writeString(java, "#!/bin/sh\n" + command + "\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return java;
    }

    private String run(String launcher, Path java, Path jar, Map<String, String> locale)
            throws IOException, InterruptedException {
        Path script = BIN.resolve(launcher);
        assertTrue(Files.isExecutable(script), script + " exists");
        ProcessBuilder pb = new ProcessBuilder(script.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("JAVA", java.toString());
        env.put("DOCKER_ON_TOP_JAR", jar.toString());
        env.put("DOCKER_ON_TOP_FUSE_JAR", jar.toString());
        env.putAll(locale);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
