package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every mount the tests make, so that a test that fails or times out half-way still leaves no mount and no
 * FUSE process behind ({@link #cleanUpAll()} runs after each test).
 */
public final class MountRegistry {
    private static final Map<Path, Long> MOUNTS = new LinkedHashMap<>();

    private MountRegistry() {}

    static synchronized void add(Path mnt, long pid) {
        MOUNTS.put(mnt, pid);
    }

    static synchronized void remove(Path mnt) {
        MOUNTS.remove(mnt);
    }

    /** Unmounts {@code mnt}, retrying while it is busy (a just-closed fd can linger for a moment). */
    static void unmount(Path mnt) throws IOException, InterruptedException {
        Cmd.Result last = null;
        for (int i = 0; i < 50; i++) {
            if (MountTable.fsTypeAt(mnt) == null) return;
            last = Cmd.run(List.of("umount", mnt.toString()), null, 60);
            if (last.exit() == 0) return;
            Thread.sleep(100);
        }
        throw new IOException("cannot unmount " + mnt + ": " + (last == null ? "" : last.stderr()));
    }

    /** Forcefully removes whatever is still registered: lazy unmount, then SIGKILL the FUSE server. */
    public static void cleanUpAll() throws IOException, InterruptedException {
        List<Map.Entry<Path, Long>> left;
        synchronized (MountRegistry.class) {
            left = new ArrayList<>(MOUNTS.entrySet());
            MOUNTS.clear();
        }
        for (Map.Entry<Path, Long> e : left) {
            if (MountTable.fsTypeAt(e.getKey()) != null) Cmd.run(List.of("umount", "-l", e.getKey().toString()), null, 30);
            if (e.getValue() > 0) ProcessHandle.of(e.getValue()).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
