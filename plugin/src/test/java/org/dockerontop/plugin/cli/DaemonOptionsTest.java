package org.dockerontop.plugin.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DaemonOptionsTest {
    @Test
    void defaultsMatchTheOriginal() throws UsageException {
        assertEquals(new DaemonOptions("docker-on-top", Path.of("/run/docker/plugins/docker-on-top.sock"),
                Path.of("/var/lib/docker-on-top"), "auto", "info", false, false), DaemonOptions.parse());
    }

    @Test
    void nameChoosesTheSocketUnlessOverridden() throws UsageException {
        assertEquals(Path.of("/run/docker/plugins/dot-test.sock"), DaemonOptions.parse("--name", "dot-test").socket());
        DaemonOptions options = DaemonOptions.parse("--name=dot-test", "--socket=/tmp/x.sock", "--root", "/srv/state",
                "--strategy", "fuse", "--log-level=debug");
        assertEquals(new DaemonOptions("dot-test", Path.of("/tmp/x.sock"), Path.of("/srv/state"), "fuse", "debug",
                false, false), options);
    }

    @Test
    void helpAndVersion() throws UsageException {
        assertEquals(true, DaemonOptions.parse("--help").help());
        assertEquals(true, DaemonOptions.parse("-h").help());
        assertEquals(true, DaemonOptions.parse("--version").version());
    }

    private static String refused(String... args) {
        return assertThrows(UsageException.class, () -> DaemonOptions.parse(args)).getMessage();
    }

    @Test
    void badFlagsAreRefusedWithAReason() {
        assertEquals("unknown option --bogus", refused("--bogus"));
        assertEquals("unknown option --bogus", refused("--bogus=1"));
        assertEquals("unexpected argument serve (the daemon takes only options)", refused("serve"));
        assertEquals("--root needs a value", refused("--root"));
        assertEquals("--socket needs a non-empty path", refused("--socket="));
        assertEquals("invalid --strategy kernel: use one of auto, overlay, fuse", refused("--strategy", "kernel"));
        assertEquals("invalid --log-level trace: use one of error, warn, info, debug", refused("--log-level", "trace"));
        assertEquals("invalid --name ../evil: use letters, digits, '_', '.' and '-', starting with a letter or digit",
                refused("--name", "../evil"));
        assertEquals("invalid --name .hidden: use letters, digits, '_', '.' and '-', starting with a letter or digit",
                refused("--name", ".hidden"));
    }

    @Test
    void socketPathMustFitInAUnixSocketAddress() {
        String message = refused("--name", "n".repeat(100));
        assertEquals(true, message.contains("longer than the 107 bytes"), message);
    }
}
