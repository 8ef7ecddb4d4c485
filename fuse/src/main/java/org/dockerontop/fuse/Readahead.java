package org.dockerontop.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-ahead of our mount: how much the kernel asks for ahead of a sequential reader of a
 * file the daemon serves (a lower file; upper files are passed through and read ahead by their
 * own filesystem). With the kernel's 128 KiB a cold 1 GiB read is 8,192 READ requests; with
 * {@link #KIB} and {@code max_read} of the same size (see {@link FuseMain#fuseOptions}) it is 1,024
 * of 1 MiB, the size {@link KernelReplyPatch} already gets for writes.
 *
 * <p>Only the mount's backing device info (/sys/class/bdi/MAJOR:MINOR/read_ahead_kb) sets it: the
 * INIT reply's max_readahead can only lower the kernel's default, never raise it. The kernel
 * applies that reply when it is written, so this is done after the INIT reply, or that would
 * undo it. Random reads through read(2) are not affected (the kernel reads ahead only for a
 * sequential reader).
 */
final class Readahead {
    private static final Logger LOG = LoggerFactory.getLogger(Readahead.class);

    /** The read-ahead we set, in KiB: one READ of the largest size we accept. */
    static final int KIB = KernelReplyPatch.MAX_WRITE / 1024;

    private static final Path BDI = Paths.get("/sys/class/bdi");

    private Readahead() {
    }

    /**
     * Sets {@code kib} as the read-ahead of our topmost mount at {@code mountPoint} (the one just
     * mounted). Never fails: without the mount in the table or a writable sysfs (not root, a
     * read-only /sys in a container) the kernel's default stays, which costs speed only; says so in the log.
     *
     * @return whether it was set
     */
    static boolean set(Path mountPoint, int kib) {
        String device = device(mountPoint);
        if (device == null) {
            LOG.warn("read-ahead: our mount at {} is not in /proc/self/mountinfo; the kernel's default stays", mountPoint);
            return false;
        }
        Path file = bdiFile(device);
        try {
            Files.write(file, Integer.toString(kib).getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
            LOG.debug("read-ahead of {} ({}): {} KiB", mountPoint, device, kib);
            return true;
        } catch (IOException | SecurityException e) {
            LOG.warn("read-ahead: cannot write {} ({}); the kernel's default stays", file, e.toString());
            return false;
        }
    }

    /** The file that holds the read-ahead of the mount with {@code device} (MAJOR:MINOR). */
    static Path bdiFile(String device) {
        return BDI.resolve(device).resolve("read_ahead_kb");
    }

    /** The device (MAJOR:MINOR) of the topmost mount at {@code mountPoint} if it is ours, or null. */
    static String device(Path mountPoint) {
        try {
            return MountTable.read().at(mountPoint)
                    .filter(m -> m.fsType().equals(FuseMain.FSTYPE))
                    .map(MountEntry::device)
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }
}
