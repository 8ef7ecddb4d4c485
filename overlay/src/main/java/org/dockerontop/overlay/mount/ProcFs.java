package org.dockerontop.overlay.mount;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The processes of /proc, as those that look for who uses a mount walk them. */
public final class ProcFs {
    private static final Path PROC = Path.of("/proc");

    private ProcFs() {
    }

    /**
     * The /proc/PID directories of the processes running now (a process may exit while its directory is read).
     *
     * @throws IOException if /proc cannot be listed
     */
    public static DirectoryStream<Path> processes() throws IOException {
        return Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()));
    }

    /** The command name of the process whose /proc directory is {@code process}, or "?" if it is gone. */
    public static String comm(Path process) {
        try {
            return Files.readString(process.resolve("comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The command name of process {@code pid}, or "?" if it is gone. */
    public static String comm(long pid) {
        return comm(PROC.resolve(Long.toString(pid)));
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
