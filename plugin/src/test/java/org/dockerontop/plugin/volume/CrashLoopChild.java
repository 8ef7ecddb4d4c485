package org.dockerontop.plugin.volume;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Run in a separate JVM by {@link CrashSafetyTest} and killed with SIGKILL at a random instant:
 * mounts and unmounts volume args[2] in a loop, writing a marker file through the mount each time and
 * printing its name once the write has returned. Every fourth round (from the second) its count is cleared before
 * its Unmount (as start-up clears the count of a mount nothing holds), so that the Unmount of an uncounted ID is
 * killed too.
 */
public final class CrashLoopChild {
    public static void main(String[] args) throws Exception {
        Path root = Paths.get(args[0]);
        String volume = args[2];
        VolumeStore store = new VolumeStore(root);
        OverlayVolumeService service = new OverlayVolumeService(store, "overlay",
                VolumeServiceFactory.strategies());
        System.out.println("ready");
        System.out.flush();
        for (long i = 0; ; i++) {
            String id = "id" + (i % 3);
            Path mp = service.mount(volume, id);
            String marker = "m" + args[1] + "-" + i;
            Files.writeString(mp.resolve(marker), marker);
            System.out.println(marker);
            System.out.flush();
            if (i % 3 != 2) {
                service.mount(volume, "other");
                service.unmount(volume, "other");
            }
            if (i % 4 == 1) {
                store.deleteActiveMount(volume, id);
            }
            service.unmount(volume, id);
        }
    }
}
