package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.mount.ExistingMounts;
import org.dockerontop.plugin.mount.ExistingMounts.Health;
import org.dockerontop.plugin.mount.MountIdentity;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What is mounted at a volume's mountpoint right now: nothing ({@code entry == null}), a live mount, or a
 * dead one (mounted but not serving: its FUSE process died, hangs, or the mount fails); and, if it is not the
 * volume's own overlay, why not ({@code notOurs}, see {@link MountIdentity}).
 */
record MountState(MountEntry entry, Health health, String notOurs) {
    static final MountState NOT_MOUNTED = new MountState(null, null, null);

    /**
     * As {@link #probeLayers} for the volume of {@code meta} and {@code upper} ({@code meta} null if unreadable: then,
     * as for a base that is no path here, any overlay or FUSE overlay counts as its own).
     */
    static MountState probe(Path mountpoint, VolumeMetadata meta, Path upper) throws VolumeException {
        return probeLayers(mountpoint, lowerOf(meta), upper);
    }

    /** The base of the volume of {@code meta} as a path here, or null if unknown (no metadata, or no path here). */
    static Path lowerOf(VolumeMetadata meta) {
        try {
            return meta == null ? null : VolumeOptions.path(meta.baseDirPath());
        } catch (VolumeException e) {
            return null;
        }
    }

    /**
     * Looks at the mount table and, if something is mounted at {@code mountpoint}, probes it. A FUSE mount whose
     * serving process died stays in the table but answers ENOTCONN; one whose process hangs does not answer at
     * all. The probe (statfs, never served from a cache) is bounded in time, so it cannot hang the caller. A live
     * mount is checked to be an overlay of {@code lower} under {@code upper} (a dead FUSE mount has no server left
     * to tell its layers: only its type is checked).
     *
     * @throws VolumeException if the mount table cannot be read
     */
    private static MountState probeLayers(Path mountpoint, Path lower, Path upper) throws VolumeException {
        MountEntry entry = mountTable().at(mountpoint).orElse(null);
        if (entry == null) {
            return NOT_MOUNTED;
        }
        Health health = ExistingMounts.probe(entry);
        boolean answering = health == Health.ANSWERING;
        return new MountState(entry, health, MountIdentity.whyNotOurs(entry, answering ? lower : null,
                answering ? upper : null));
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
     * Whether what is mounted is not the volume's own overlay: a tmpfs or a bind mount someone made at the
     * mountpoint, or an overlay of other layers. It must not be handed out as the volume, nor unmounted by it.
     */
    boolean foreign() {
        return notOurs != null;
    }

    /** For messages: "a tmpfs (source someone-elses), not an overlay". */
    String describe() {
        return entry == null ? "nothing" : notOurs != null ? notOurs : entry.fsType() + " (source " + entry.source()
                + ")";
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
