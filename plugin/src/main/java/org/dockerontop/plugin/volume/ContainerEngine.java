package org.dockerontop.plugin.volume;

import org.dockerontop.overlay.mount.ProcFs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;

/**
 * Whether this process sees dockerd. Every container dockerd runs is a descendant of it (through containerd and its
 * shims), and a process sees its descendants' processes, and so their mount namespaces, exactly when it sees the
 * process itself: a plugin in a PID namespace of its own sees neither. Only a plugin that sees dockerd can tell
 * from the mount namespaces that no container holds a volume's mount.
 */
final class ContainerEngine {
    private static final String DOCKERD = "dockerd";

    private ContainerEngine() {
    }

    /** @return whether a dockerd process is visible in /proc (false if /proc cannot be listed) */
    static boolean isVisible() {
        try (DirectoryStream<Path> processes = ProcFs.processes()) {
            for (Path process : processes) {
                if (DOCKERD.equals(ProcFs.comm(process))) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
