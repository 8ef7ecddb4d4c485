package org.dockerontop.overlay.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds who else holds a mounted filesystem: another mount of it in this mount namespace (a bind mount), or a
 * copy of it in another mount namespace (a container's, a process that called unshare). Unmounting the one
 * mount we know ends none of those: the filesystem lives on in them, and deleting the directories it is made
 * of would delete files under whoever uses it there. A filesystem instance is recognised by its device number
 * ({@code major:minor} in mountinfo), which every mount of it shows in every namespace.
 *
 * <p>Not holders: the copies that unmounting ours removes too. A mount made under a shared parent is copied into
 * the parent's peers and slaves (systemd gives many services a slave namespace of the host's), at the same path or
 * under a bind of the host's root elsewhere, in the same peer group ({@code shared:N}) or as its slave
 * ({@code master:N}); the unmount propagates to them, and fails with EBUSY if one of them is in use.
 */
public final class MountHolders {
    private static final Path PROC = Paths.get("/proc");

    private MountHolders() {
    }

    /**
     * Describes every holder of {@code mount}'s filesystem other than {@code mount} itself and the copies its
     * unmount removes, e.g.
     * {@code "a mount at /srv/x"} or {@code "process 1234 (sleep) in another mount namespace"} (one process per
     * namespace). Empty if nothing else holds it. Processes that exit while they are examined are skipped.
     *
     * @throws IOException if /proc or this process's own mount table cannot be read, so the answer would be a
     *                     guess; callers must then assume the filesystem is held
     */
    public static List<String> others(MountEntry mount) throws IOException {
        List<String> holders = new ArrayList<>();
        for (MountEntry e : MountTable.read().entries()) {
            if (e.device().equals(mount.device()) && e.id() != mount.id()) {
                holders.add("a mount at " + e.mountpoint());
            }
        }
        Set<String> namespaces = new HashSet<>();
        namespaces.add(Files.readSymbolicLink(PROC.resolve("self/ns/mnt")).toString());
        try (DirectoryStream<Path> procs = ProcFs.processes()) {
            for (Path proc : procs) {
                String mountinfo;
                try {
                    if (!namespaces.add(Files.readSymbolicLink(proc.resolve("ns/mnt")).toString())) {
                        continue; // a namespace already looked at (most processes share the host's)
                    }
                    mountinfo = new String(Files.readAllBytes(proc.resolve("mountinfo")), StandardCharsets.ISO_8859_1);
                } catch (NoSuchFileException e) {
                    continue; // exited meanwhile (a kernel thread has no ns/mnt either)
                } catch (AccessDeniedException e) {
                    // Root is refused only a process of a more privileged user namespace (the init of the sandbox
                    // or container the plugin itself runs in): its mounts are not copies of ours.
                    continue;
                }
                for (MountEntry e : MountTable.parse(mountinfo).entries()) {
                    if (e.device().equals(mount.device()) && !removedWith(mount, e)) {
                        holders.add("process " + proc.getFileName() + " (" + ProcFs.comm(proc) + ") in another mount "
                                + "namespace, at " + e.mountpoint());
                        break;
                    }
                }
            }
        }
        return holders;
    }

    /**
     * Whether unmounting {@code ours} propagates to {@code copy}, a mount of the same filesystem in another namespace:
     * a peer or slave of ours at our path, or at our path under the host's root bound elsewhere (a container given
     * {@code -v /:/host:rslave}, as node-exporter is, has its copy at {@code /host} + our path). A copy at any other
     * path counts as a holder: a bind mount of ours made in a slave namespace is a slave of our group too.
     */
    private static boolean removedWith(MountEntry ours, MountEntry copy) {
        String group = ours.peerGroup();
        return group != null && (group.equals(copy.peerGroup()) || group.equals(copy.masterGroup()))
                && copy.mountpoint().toString().endsWith(ours.mountpoint().toString());
    }
}
