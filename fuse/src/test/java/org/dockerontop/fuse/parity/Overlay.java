package org.dockerontop.fuse.parity;

import java.nio.file.Path;

/** A way to mount an overlay of {@link LayerDirs}: the kernel's overlayfs or our FUSE filesystem. */
public interface Overlay {
    /** Short name used in test output: {@code kernel} or {@code fuse}. */
    String name();

    /** Mounts {@code dirs.lower}+{@code dirs.upper} at {@code dirs.mnt}; returns once the mount answers. */
    Mounted mount(LayerDirs dirs) throws Exception;

    /** A live mount. {@link #close()} unmounts and, for FUSE, waits for the server process to exit. */
    interface Mounted extends AutoCloseable {
        Path mnt();

        /** The process serving the mount, or -1 for a kernel mount. */
        long serverPid();

        @Override
        void close() throws Exception;
    }

    static Overlay kernel() {
        return KernelOverlay.INSTANCE;
    }

    /**
     * The filesystem under test. By default the production launcher {@code src/bin/docker-on-top-fuse}
     * (with its JVM flags) running this build's freshly compiled classes through a manifest-only jar (the
     * real jar is only packaged after the tests); without the launcher, {@code java -cp CLASSPATH
     * org.dockerontop.fuse.FuseMain}. {@code -Ddot.parity.fuse=CMD} runs another command instead
     * (e.g. {@code "java -jar fuse/target/docker-on-top-fuse.jar"} or {@code fuse-overlayfs}), and
     * {@code -Ddot.parity.fuse=kernel} compares the kernel with itself, which checks the harness.
     */
    static Overlay underTest() {
        String cmd = System.getProperty("dot.parity.fuse", "").trim();
        if (cmd.equals("kernel")) return KernelOverlay.INSTANCE;
        return new FuseOverlay(cmd);
    }
}
