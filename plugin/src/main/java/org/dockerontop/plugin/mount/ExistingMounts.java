package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.KernelOverlayMount;
import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.Syscalls;
import org.dockerontop.overlay.mount.MountTable;
import org.dockerontop.plugin.volume.VolumeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * What the volume service needs to know about a mount that already sits on a volume's mountpoint,
 * e.g. after a plugin restart: which strategy made it (to re-adopt it and unmount it the right way
 * later) and whether it still answers (a FUSE mount whose process died answers ENOTCONN and must be
 * cleaned up and replaced, never handed to a container).
 *
 * <p>The volume service probes a volume's mount with {@link #probe} (through its MountState), clears one that
 * does not answer with {@link #cleanUp} and then mounts afresh; {@link AutoStrategy} unmounts with the strategy
 * that {@link #find} names.
 */
public final class ExistingMounts {
    /** fstype of a kernel overlay mount in /proc/self/mountinfo. */
    public static final String OVERLAY_TYPE = "overlay";
    /**
     * fstypes of FUSE overlay mounts: ours, and fuse-overlayfs (same CLI and upper format, used in
     * tests and accepted as a drop-in FUSE command).
     */
    public static final Set<String> FUSE_TYPES = Set.of("fuse.docker-on-top-fuse", "fuse.fuse-overlayfs");

    /** How long a probe may take before a mount counts as unresponsive (a stopped or hung FUSE server). */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    /** How long the listing of a mount's root may take before the mount counts as not answering. */
    public static final Duration LIST_TIMEOUT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(ExistingMounts.class);

    private ExistingMounts() {
    }

    /** Whether a mount answers file-system calls. */
    public enum Health {
        /** statfs of the mountpoint succeeds (it always reaches a FUSE server). */
        ANSWERING,
        /** ENOTCONN ("Transport endpoint is not connected"): the FUSE server is gone. */
        DEAD,
        /** the probe did not return in time: the server is hung or stopped. */
        UNRESPONSIVE,
        /** statfs failed with another error than ENOTCONN (e.g. EIO from a failing server). */
        FAILING
    }

    /**
     * A mount found at a volume's mountpoint.
     *
     * @param strategy {@code "overlay"}, {@code "fuse"}, or {@code null} for a mount no strategy of ours makes
     */
    public record ExistingMount(Path mountpoint, String fsType, String source, String strategy) {
    }

    /** The mount on top of {@code mountpoint}, if any. Never touches the mountpoint itself. */
    public static Optional<ExistingMount> find(Path mountpoint) {
        Path mp = mountpoint.toAbsolutePath().normalize();
        return entryAt(mp).map(m -> new ExistingMount(mp, m.fsType(), m.source(), strategyOf(m.fsType())));
    }

    /** The mount table now. /proc is always there on the hosts we run on; its absence is a bug, not a state. */
    static MountTable table() {
        try {
            return MountTable.read();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
    }

    /** The topmost mount exactly at {@code mountpoint}, if any (the path itself is never stat'ed). */
    static Optional<MountEntry> entryAt(Path mountpoint) {
        return table().at(mountpoint);
    }

    /**
     * The working directory of the docker-on-top-fuse process serving the FUSE mount at {@code mountpoint}, as its
     * /proc/PID/cwd link. That server enters its lower directory once at start-up and reads every lower path from
     * there (the fuse module's LowerLayer, since 2026-12-05), so the link names exactly the directory the mount
     * shows, whatever the base path names now; older servers worked from /, where the plugin starts them. Empty
     * unless exactly one docker-on-top-fuse process serves the mount (fuse-overlayfs keeps its layers otherwise).
     */
    public static Optional<Path> fuseServerWorkingDirectory(Path mountpoint) {
        List<ProcessHandle> servers = FuseProcesses.serving(mountpoint.toAbsolutePath().normalize());
        if (servers.size() != 1) {
            return Optional.empty();
        }
        List<String> argv = FuseProcesses.arguments(servers.get(0));
        if (argv.isEmpty() || !new FuseCommand(argv, "the server of " + mountpoint).isDockerOnTopFuse()) {
            return Optional.empty();
        }
        return Optional.of(Path.of("/proc", Long.toString(servers.get(0).pid()), "cwd"));
    }

    /** {@code "overlay"} or {@code "fuse"} for an fstype in /proc/self/mountinfo, else {@code null}. */
    public static String strategyOf(String fsType) {
        if (OVERLAY_TYPE.equals(fsType)) {
            return "overlay";
        }
        return isFuseType(fsType) ? FuseProcessStrategy.NAME : null;
    }

    public static boolean isFuseType(String fsType) {
        return FUSE_TYPES.contains(fsType);
    }

    /**
     * Probes {@code mountpoint} with statfs(2), in a helper thread so that a hung FUSE server makes the
     * probe {@link Health#UNRESPONSIVE} instead of blocking the caller.
     */
    public static Health probe(Path mountpoint) {
        return probe(mountpoint, PROBE_TIMEOUT);
    }

    /**
     * As {@link #probe(Path)}, giving up after {@code timeout}. A probe that gave up leaves its thread blocked in
     * statfs until the server answers or dies; while it is, later probes of the same mount wait for its answer
     * instead of blocking one more thread each (see {@link BoundedCalls}).
     */
    static Health probe(Path mountpoint, Duration timeout) {
        Path path = mountpoint.toAbsolutePath().normalize();
        return probe(path, entryAt(path).map(MountEntry::device).orElse(""), timeout);
    }

    /** As {@link #probe(Path)}, for the mount the caller has just found in the mount table. */
    public static Health probe(MountEntry mounted) {
        return probe(mounted.mountpoint(), mounted.device(), PROBE_TIMEOUT);
    }

    private static Health probe(Path mountpoint, String device, Duration timeout) {
        String path = mountpoint.toString();
        try {
            int err = BoundedCalls.call("statfs " + device + " " + path, "probe " + path, timeout,
                    () -> Syscalls.statfsErrno(Path.of(path)));
            if (err == 0) {
                return Health.ANSWERING;
            }
            return err == Syscalls.ENOTCONN ? Health.DEAD : Health.FAILING;
        } catch (TimeoutException e) {
            return Health.UNRESPONSIVE;
        } catch (RuntimeException e) {
            return Health.FAILING;
        }
    }

    /**
     * How the root of a live mount answered a listing.
     *
     * @param answered whether the listing finished in time
     * @param errno    0 if the first entries could be read, else the errno of open(2) or getdents64(2)
     */
    public record Listing(boolean answered, int errno) {
        public boolean listed() {
            return answered && errno == 0;
        }

        /** For messages: "No such file or directory", "errno 5", "no answer within 5 s". */
        public String failure() {
            if (!answered) {
                return "no answer within " + LIST_TIMEOUT.toSeconds() + " s";
            }
            return errno == Syscalls.ENOENT ? "No such file or directory" : "errno " + errno;
        }
    }

    /**
     * Reads the first entries of the root of {@code mounted}, as dockerd does before it starts a container with a
     * volume. An overlay whose lower directory was deleted while mounted (a volume's base removed) answers ENOENT, and
     * dockerd then fails the start with its own "readdirent ...: no such file or directory". One with a layer on a
     * hung file system (a base on a FUSE or network file system whose server hangs; a FUSE overlay whose server
     * answers statfs but hangs in READDIR) does not answer, and neither would dockerd's listing: given up after
     * {@link #LIST_TIMEOUT} (see {@link BoundedCalls}).
     */
    public static Listing listRoot(MountEntry mounted) {
        return listRoot(mounted.mountpoint(), mounted.device(), LIST_TIMEOUT);
    }

    static Listing listRoot(Path mountpoint, String device, Duration timeout) {
        String path = mountpoint.toString();
        try {
            int errno = BoundedCalls.call("list " + device + " " + path, "list " + path, timeout,
                    () -> Syscalls.listErrno(Path.of(path)));
            return new Listing(true, errno);
        } catch (TimeoutException e) {
            return new Listing(false, 0);
        }
    }

    /** For messages: the processes serving the FUSE mount at {@code mountpoint}, or null if none is found. */
    public static String servers(Path mountpoint) {
        List<ProcessHandle> servers = FuseProcesses.serving(mountpoint.toAbsolutePath().normalize());
        return servers.isEmpty() ? null : FuseProcesses.describe(servers);
    }

    /**
     * Removes a FUSE mount that no longer serves (dead, hung or failing) so the volume can be mounted
     * afresh: detaches it (MNT_DETACH, which works even when the server is gone and never blocks on
     * it), then stops any process still serving it. The upper directory is untouched, so no completed
     * write is lost. Does nothing if nothing is mounted there.
     *
     * @throws VolumeException if the mount cannot be detached or its server cannot be stopped
     */
    public static void cleanUp(Path mountpoint) throws VolumeException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        List<ProcessHandle> servers = FuseProcesses.serving(mp);
        Optional<MountEntry> m = entryAt(mp);
        if (m.isPresent()) {
            if (!isFuseType(m.get().fsType())) {
                throw new VolumeException(mp + " holds a " + m.get().fsType() + " mount, not a FUSE overlay; not touching it");
            }
            try {
                KernelOverlayMount.detach(mp);
            } catch (MountException e) {
                if (e.errno() != Syscalls.EINVAL) {
                    throw new VolumeException("cannot detach the dead FUSE mount: " + e.getMessage()
                            + "; try: umount -l " + mp, e);
                }
            }
            log.warn("detached the FUSE mount at {}, which no longer answered", mp);
        }
        if (!servers.isEmpty()) {
            log.warn("stopping FUSE process {} left serving {}", FuseProcesses.describe(servers), mp);
            try {
                if (!FuseProcesses.stop(servers, Duration.ofSeconds(2))) {
                    throw new VolumeException("FUSE process " + FuseProcesses.describe(servers) + " of " + mp
                            + " does not exit even on SIGKILL; check it with ps");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VolumeException("interrupted while stopping the FUSE process of " + mp, e);
            }
        }
    }
}
