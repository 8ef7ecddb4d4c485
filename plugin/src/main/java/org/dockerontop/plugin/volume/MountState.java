package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.dockerontop.plugin.mount.ExistingMounts.Health;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What is mounted at a volume's mountpoint right now: nothing ({@code entry == null}), a live mount, or a
 * dead one (mounted but not serving: its FUSE process died, hangs, or the mount fails).
 */
record MountState(MountEntry entry, Health health) {
    static final MountState NOT_MOUNTED = new MountState(null, null);

    /**
     * Looks at the mount table and, if something is mounted at {@code mountpoint}, probes it. A FUSE mount whose
     * serving process died stays in the table but answers ENOTCONN; one whose process hangs does not answer at
     * all. The probe (statfs, never served from a cache) is bounded in time, so it cannot hang the caller.
     *
     * @throws VolumeException if the mount table cannot be read
     */
    static MountState probe(Path mountpoint) throws VolumeException {
        MountEntry entry = mountTable().at(mountpoint).orElse(null);
        if (entry == null) {
            return NOT_MOUNTED;
        }
        return new MountState(entry, ExistingMounts.probe(entry));
    }

    /** @throws VolumeException if /proc/self/mountinfo cannot be read */
    static MountTable mountTable() throws VolumeException {
        try {
            return MountTable.read();
        } catch (IOException e) {
            throw new VolumeException("cannot read the mount table (/proc/self/mountinfo): " + e, e);
        }
    }

    boolean mounted() {
        return entry != null;
    }

    /**
     * Whether what is mounted is not something the plugin mounts (a kernel overlay or a FUSE overlay), e.g. a tmpfs
     * or a bind mount someone made at the mountpoint: it must not be handed out as the volume.
     */
    boolean foreign() {
        return entry != null && !entry.isOverlay() && !entry.isFuse();
    }

    /** For messages: "tmpfs (source someone-elses)". */
    String describe() {
        return entry == null ? "nothing" : entry.fsType() + " (source " + entry.source() + ")";
    }

    boolean dead() {
        return entry != null && health != Health.ANSWERING;
    }

    /** For messages: "is dead (...)", "does not answer (...)". */
    String problem() {
        if (entry == null) {
            return "is not mounted";
        }
        return switch (health) {
            case DEAD -> "is dead (" + entry.fsType() + ": its FUSE process is gone)";
            case UNRESPONSIVE -> "does not answer (" + entry.fsType() + ": its FUSE process is hung or stopped)";
            case FAILING -> "fails to answer (" + entry.fsType() + ")";
            case ANSWERING -> "works";
        };
    }
}
