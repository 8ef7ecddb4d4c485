package org.dockerontop.plugin.mount;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Whether this host lets us mount FUSE at all, checked before starting a FUSE command. */
final class FuseDevice {
    static final Path DEV_FUSE = Path.of("/dev/fuse");

    private FuseDevice() {
    }

    /**
     * @throws StrategyUnavailableException if /dev/fuse is missing or cannot be opened (no fuse module,
     *                                      or a container started without {@code --device /dev/fuse})
     */
    static void check() throws StrategyUnavailableException {
        if (!Files.exists(DEV_FUSE)) {
            throw new StrategyUnavailableException(DEV_FUSE + " is missing: load the fuse kernel module (modprobe fuse)"
                    + " or, inside a container, start it with --device /dev/fuse");
        }
        // Opening the device without mounting allocates nothing lasting; it is the one check that also
        // catches a device cgroup or LSM denying it.
        try (FileChannel ignored = FileChannel.open(DEV_FUSE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // usable
        } catch (AccessDeniedException e) {
            throw new StrategyUnavailableException("cannot open " + DEV_FUSE + ": permission denied (inside a container,"
                    + " start it with --device /dev/fuse --cap-add SYS_ADMIN)", e);
        } catch (IOException e) {
            throw new StrategyUnavailableException("cannot open " + DEV_FUSE + ": " + e.getMessage(), e);
        }
    }
}
