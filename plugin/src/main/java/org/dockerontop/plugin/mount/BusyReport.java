package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.MountEntry;
import org.dockerontop.overlay.mount.ProcFs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Explains why a mountpoint cannot be unmounted (EBUSY): which host processes have their working
 * directory, root or an open file under it, and which mounts are stacked below it. Processes of a
 * container see the volume under their own paths and are not listed; the message says so.
 */
final class BusyReport {
    private static final int MAX_LISTED = 8;

    private BusyReport() {
    }

    static String describe(Path mountpoint) {
        Path mp = mountpoint.toAbsolutePath().normalize();
        Set<String> users = new LinkedHashSet<>();
        try (DirectoryStream<Path> procs = ProcFs.processes()) {
            for (Path proc : procs) {
                String use = useOf(proc, mp);
                if (use != null) {
                    users.add(proc.getFileName() + " (" + ProcFs.comm(proc)
                            + ", " + use + ")");
                }
            }
        } catch (IOException e) {
            // fall through with what we have
        }
        List<String> submounts = new ArrayList<>();
        for (MountEntry m : ExistingMounts.table().under(mp)) {
            if (!m.mountpoint().equals(mp)) {
                submounts.add(m.mountpoint().toString());
            }
        }
        StringBuilder msg = new StringBuilder(mp + " is busy and stays mounted:");
        if (!users.isEmpty()) {
            List<String> listed = new ArrayList<>(users).subList(0, Math.min(users.size(), MAX_LISTED));
            msg.append(" used by process ").append(String.join(", ", listed));
            if (users.size() > MAX_LISTED) {
                msg.append(" and ").append(users.size() - MAX_LISTED).append(" more");
            }
            msg.append(';');
        }
        if (!submounts.isEmpty()) {
            msg.append(" other mounts sit below it: ").append(String.join(", ", submounts)).append(';');
        }
        if (users.isEmpty() && submounts.isEmpty()) {
            msg.append(" no host process holds it, so a container (or a process in another mount namespace) may still use it;");
        }
        msg.append(" stop the containers and processes using the volume (docker ps --filter volume=NAME), then retry");
        return msg.toString();
    }

    private static String useOf(Path proc, Path mp) {
        if (under(proc.resolve("cwd"), mp)) {
            return "working directory";
        }
        if (under(proc.resolve("root"), mp)) {
            return "root directory";
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                if (under(fd, mp)) {
                    return "open file";
                }
            }
        } catch (IOException e) {
            // gone or unreadable
        }
        return null;
    }

    private static boolean under(Path link, Path mp) {
        try {
            String target = Files.readSymbolicLink(link).toString();
            return target.equals(mp.toString()) || target.startsWith(mp + "/");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
