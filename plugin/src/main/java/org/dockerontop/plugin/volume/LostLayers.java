package org.dockerontop.plugin.volume;

import org.dockerontop.plugin.mount.ExistingMounts;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What to tell about a volume whose mount lost a layer (its base or its upper removed while mounted) or does not
 * answer (something under it hangs): for the Mount that refuses it and for docker volume inspect, which say the same.
 */
final class LostLayers {
    private LostLayers() {
    }

    /** Which of the volume's layers was removed while it was mounted, as far as can be told. */
    static String what(VolumeStore store, String name, VolumeMetadata meta) {
        Path upper = store.upper(name);
        if (!Files.isDirectory(upper)) {
            return "its upper directory " + upper + " (where its changes are kept) was removed while the volume was "
                    + "mounted";
        }
        if (!baseIsDirectory(meta)) {
            return "its base directory " + meta.baseDirPath() + " was removed while the volume was mounted";
        }
        return "the base directory it mounted was removed while the volume was mounted (" + meta.baseDirPath()
                + " is now another directory, which that mount does not show)";
    }

    /** How to get a volume whose layer was removed while mounted working again. */
    static String whatToDo(VolumeStore store, String name, VolumeMetadata meta) {
        String stop = "Stop the containers that use the volume (docker ps --filter volume=" + name + ") so that it is "
                + "unmounted";
        if (!Files.isDirectory(store.upper(name))) {
            return stop + "; the next container then mounts the volume with an empty upper directory";
        }
        if (!baseIsDirectory(meta)) {
            return stop + ", restore " + meta.baseDirPath() + ", and start them again; or remove the volume";
        }
        return stop + "; the next container then mounts " + meta.baseDirPath() + " as it is then";
    }

    /** A mount that does not answer a listing of its root: what may hang under it, and what to check. */
    static String notAnswering(VolumeMetadata meta, Path mp, MountState state) {
        String servers = state.entry().isFuse() ? ExistingMounts.servers(mp) : null;
        String server = servers == null ? "" : ", or the volume's FUSE process (" + servers + ")";
        return "its mount at " + mp + " does not answer (listing it gave " + new ExistingMounts.Listing(false, 0)
                .failure() + "), so a container would hang on it. Something under it hangs: its base directory "
                + meta.baseDirPath() + " if that lies on a network or FUSE file system whose server hangs" + server
                + ". Check that ls " + meta.baseDirPath() + " answers";
    }

    static boolean baseIsDirectory(VolumeMetadata meta) {
        try {
            return Files.isDirectory(VolumeOptions.path(meta.baseDirPath()));
        } catch (VolumeException e) {
            return false;
        }
    }
}
