package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.file.Path;

/** The reference: the kernel's overlayfs, mounted with mount(8). */
final class KernelOverlay implements Overlay {
    static final KernelOverlay INSTANCE = new KernelOverlay();

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public Mounted mount(LayerDirs d) throws Exception {
        Cmd.ok("mount", "-t", "overlay", "overlay", "-o", d.options(), d.mnt().toString());
        if (!"overlay".equals(MountTable.fsTypeAt(d.mnt()))) throw new IOException("overlay not mounted at " + d.mnt());
        MountRegistry.add(d.mnt(), -1);
        return new Mounted() {
            boolean closed;

            @Override
            public Path mnt() {
                return d.mnt();
            }

            @Override
            public long serverPid() {
                return -1;
            }

            @Override
            public void close() throws Exception {
                if (closed) return;
                closed = true;
                MountRegistry.unmount(d.mnt());
                MountRegistry.remove(d.mnt());
            }
        };
    }
}
