package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.List;

import org.dockerontop.fuse.ForegroundServer;

/**
 * The filesystem under test, run the way the plugin runs it: the production launcher (its JVM
 * options) serving in the foreground, the mount answering before a scenario starts
 * ({@link ForegroundServer}). See {@link Overlay#underTest()}.
 */
final class FuseOverlay implements Overlay {
    private final List<String> command;
    private final Map<String, String> env = new HashMap<>();

    FuseOverlay(String command) {
        if (!command.isEmpty()) {
            this.command = Arrays.asList(command.split("\\s+"));
            return;
        }
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path launcher = Path.of(System.getProperty("user.dir")).resolveSibling("src/bin/docker-on-top-fuse");
        if (Files.isExecutable(launcher)) {
            // the production launcher (its JVM flags: heap, GC...) running this build's classes
            this.command = List.of(launcher.toString());
            env.put("DOCKER_ON_TOP_FUSE_JAR", classPathJar(cp).toString());
        } else {
            this.command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", cp, "org.dockerontop.fuse.FuseMain");
        }
    }

    /**
     * A jar with no classes, only a manifest naming FuseMain and this build's class path: what the
     * launcher's {@code java -jar} needs to run the freshly compiled classes (the real jar is packaged
     * only after the tests).
     */
    private static synchronized Path classPathJar(String cp) {
        try {
            Path jar = Path.of(System.getProperty("java.io.tmpdir"), "dot-parity-fuse-" + Integer.toHexString(cp.hashCode()) + ".jar");
            if (Files.exists(jar)) return jar;
            Manifest m = new Manifest();
            m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "org.dockerontop.fuse.FuseMain");
            StringBuilder urls = new StringBuilder();
            for (String e : cp.split(java.io.File.pathSeparator)) {
                if (e.isEmpty() || e.contains("surefire")) continue;
                urls.append(Path.of(e).toUri().toURL()).append(' ');
            }
            m.getMainAttributes().put(Attributes.Name.CLASS_PATH, urls.toString().trim());
            Path tmp = Files.createTempFile(jar.getParent(), "dot-parity-fuse", ".tmp");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), m)) {
                // manifest only
            }
            Files.move(tmp, jar, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            jar.toFile().deleteOnExit();
            return jar;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "fuse";
    }

    @Override
    public Mounted mount(LayerDirs d) throws Exception {
        String extra = System.getProperty("dot.parity.fuse.options", "").trim();
        List<String> argv = new ArrayList<>(command);
        argv.add("-f");
        argv.add("-o");
        argv.add(d.options() + (extra.isEmpty() ? "" : "," + extra));
        argv.add(d.mnt().toString());
        argv.addAll(org.dockerontop.fuse.OverlayMount.loopArgs());
        ForegroundServer server = ForegroundServer.start(argv, env, d.mnt());
        // the launcher execs the JVM: the process started is the server
        long pid = server.pid();
        MountRegistry.add(d.mnt(), pid);
        return new Mounted() {
            boolean closed;

            @Override
            public Path mnt() {
                return d.mnt();
            }

            @Override
            public long serverPid() {
                return pid;
            }

            @Override
            public void close() throws Exception {
                if (closed) return;
                closed = true;
                MountRegistry.unmount(d.mnt());
                MountRegistry.remove(d.mnt());
                server.awaitExit(20);
            }
        };
    }
}
