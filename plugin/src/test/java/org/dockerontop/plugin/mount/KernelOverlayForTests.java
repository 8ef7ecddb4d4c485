package org.dockerontop.plugin.mount;

import org.dockerontop.plugin.volume.VolumeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A kernel overlay strategy for these tests, until the real KernelOverlayStrategy (volumes stream)
 * is on main: mounts a real overlay with mount(8) and reports any refusal by the kernel as
 * {@link StrategyUnavailableException}, as the real one does for EINVAL/EPERM/ENODEV. It can also be
 * told to refuse, or to fail for real, on demand.
 */
final class KernelOverlayForTests implements MountStrategy {
    volatile boolean refuse;
    volatile boolean fail;
    volatile int mounts;

    @Override
    public String name() {
        return "overlay";
    }

    @Override
    public MountResult mount(Layers layers) throws VolumeException {
        mounts++;
        if (fail) {
            throw new VolumeException("injected failure");
        }
        if (refuse) {
            throw new StrategyUnavailableException("injected refusal");
        }
        String options = "lowerdir=" + OverlayOptions.escape(layers.lower()) + ",upperdir=" + OverlayOptions.escape(layers.upper())
                + ",workdir=" + OverlayOptions.escape(layers.work());
        Result r = run("mount", "-t", "overlay", "overlay", "-o", options, layers.mountpoint().toString());
        if (r.exit != 0) {
            throw new StrategyUnavailableException("mount(8) exit " + r.exit + ": " + r.output.strip());
        }
        return new MountResult("overlay", "requested");
    }

    @Override
    public void unmount(Path mountpoint) throws VolumeException {
        Result r = run("umount", mountpoint.toString());
        if (r.exit != 0) {
            throw new VolumeException("umount exit " + r.exit + ": " + r.output.strip());
        }
    }

    record Result(int exit, String output) {
    }

    static Result run(String... argv) throws VolumeException {
        try {
            Process p = new ProcessBuilder(List.of(argv)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException e) {
            throw new VolumeException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted", e);
        }
    }
}
