package org.dockerontop.plugin.mount;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Stands in for the plugin in {@link FuseProcessStrategyTest#mountOutlivesTheJvmThatStartedIt()}:
 * mounts with {@link FuseProcessStrategy}, says MOUNTED, and waits to be killed.
 * Arguments: {@code FUSE-COMMAND... -- LOWER UPPER WORK MOUNTPOINT}.
 */
public final class MountInChildJvm {
    public static void main(String[] args) throws Exception {
        int sep = Arrays.asList(args).indexOf("--");
        List<String> command = new ArrayList<>(Arrays.asList(args).subList(0, sep));
        Layers layers = new Layers(Path.of(args[sep + 1]), Path.of(args[sep + 2]), Path.of(args[sep + 3]), Path.of(args[sep + 4]));
        new FuseProcessStrategy(command).mount(layers);
        System.out.println("MOUNTED");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
