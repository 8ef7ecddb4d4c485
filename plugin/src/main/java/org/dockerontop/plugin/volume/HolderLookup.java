package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountHolders;

import java.io.IOException;
import java.util.List;

/**
 * Who else holds a volume's mount: {@link MountHolders#others} in the daemon; a test gives one that fails, since
 * the real one fails only when /proc cannot be read.
 */
@FunctionalInterface
interface HolderLookup {
    HolderLookup PROC = MountHolders::others;

    /**
     * @return descriptions of the holders other than the mount itself and the copies its unmount removes
     * @throws IOException if that cannot be told; the caller must then assume the mount is held
     */
    List<String> others(MountEntry mount) throws IOException;
}
