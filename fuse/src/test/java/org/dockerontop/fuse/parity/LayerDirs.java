package org.dockerontop.fuse.parity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One set of overlay directories: lower (the base), upper (the changes), work and the mountpoint. */
public record LayerDirs(Path lower, Path upper, Path work, Path mnt) {

    /** Creates {@code base/lower}, {@code upper}, {@code work} and {@code mnt}, all 0755 so other users can traverse. */
    public static LayerDirs create(Path base) throws IOException {
        LayerDirs d = new LayerDirs(base.resolve("lower"), base.resolve("upper"), base.resolve("work"), base.resolve("mnt"));
        for (Path p : new Path[] {base, d.lower, d.upper, d.work, d.mnt}) {
            Files.createDirectories(p);
            Sys.chmod(p.toString(), 0755);
        }
        return d;
    }

    /** The overlay option string both kernel overlay and the FUSE command accept. */
    public String options() {
        return "lowerdir=" + escape(lower) + ",upperdir=" + escape(upper) + ",workdir=" + escape(work);
    }

    private static String escape(Path p) {
        return p.toString().replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:");
    }
}
