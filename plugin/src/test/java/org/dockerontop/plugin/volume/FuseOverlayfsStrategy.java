package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.mount.Layers;
import org.dockerontop.plugin.mount.MountResult;
import org.dockerontop.plugin.mount.MountStrategy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A FUSE mount served by its own process, for tests of what the service does when such a process dies:
 * the C fuse-overlayfs in the foreground, so the test holds its process and can SIGKILL it.
 * (The product's FUSE strategy belongs to another work stream.)
 */
final class FuseOverlayfsStrategy implements MountStrategy {
    final Map<Path, Process> servers = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "fuse";
    }

    @Override
    public MountResult mount(Layers l) throws VolumeException {
        try {
            Process p = new ProcessBuilder("fuse-overlayfs", "-f", "-o", "lowerdir=" + l.lower() + ",upperdir="
                    + l.upper() + ",workdir=" + l.work(), l.mountpoint().toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!MountTable.read().isMountpoint(l.mountpoint())) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new VolumeException("fuse-overlayfs did not mount " + l.mountpoint());
                }
                Thread.sleep(10);
            }
            servers.put(l.mountpoint(), p);
            return new MountResult("fuse", "test: fuse-overlayfs");
        } catch (IOException | InterruptedException e) {
            throw new VolumeException("cannot run fuse-overlayfs: " + e, e);
        }
    }

    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        try {
            KernelOverlayMount.unmount(mountpoint); // umount2 works for FUSE mounts too (we are root)
        } catch (MountException e) {
            throw new VolumeException(e.getMessage(), e);
        }
        Process p = servers.remove(mountpoint);
        if (p != null) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Kills the process serving {@code mountpoint} with SIGKILL: the mount stays but answers ENOTCONN. */
    void kill(Path mountpoint) throws InterruptedException {
        Process p = servers.remove(mountpoint);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    void stopAll() {
        servers.values().forEach(Process::destroyForcibly);
    }
}
