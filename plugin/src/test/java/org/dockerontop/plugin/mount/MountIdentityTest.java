package org.dockerontop.plugin.mount;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Reading the layers a mount shows from its options, in the spellings the mounts of a volume are made with. */
class MountIdentityTest {
    private static final Path ODD = Path.of("/srv/a,b:c\\d");
    private static final Path UPPER = Path.of("/var/lib/docker-on-top/v/upper");

    @Test
    void aFuseCommandLinesEscapedLayersAreReadBack() {
        List<String> argv = List.of("java", "-jar", "docker-on-top-fuse.jar", "-f", "-o",
                "lowerdir=" + OverlayOptions.escape(ODD) + ",upperdir=" + OverlayOptions.escape(UPPER)
                        + ",workdir=/w,volatile", "/mp");
        Map<String, String> options = MountIdentity.overlayOptions(argv);
        assertEquals(ODD.toString(), options.get("lowerdir"));
        assertEquals(UPPER.toString(), options.get("upperdir"));
        assertEquals("", options.get("volatile"));
        assertEquals("/x", MountIdentity.overlayOptions(List.of("fuse-overlayfs", "-olowerdir=/x", "/mp"))
                .get("lowerdir"));
    }

    @Test
    void aKernelOverlaysLayersAreMatchedAsGivenEscapedOrNot() {
        String viaFsconfig = "rw,lowerdir+=" + ODD + ",upperdir=" + UPPER + ",workdir=/w,uuid=on";
        String viaLegacyMount = "rw,lowerdir=" + OverlayOptions.escape(ODD) + ",upperdir=" + UPPER + ",workdir=/w";
        assertTrue(MountIdentity.overlayOf(viaFsconfig, ODD, UPPER));
        assertTrue(MountIdentity.overlayOf(viaLegacyMount, ODD, UPPER));
        assertFalse(MountIdentity.overlayOf(viaFsconfig, Path.of("/srv/a"), UPPER), "a prefix is another layer");
        assertFalse(MountIdentity.overlayOf("rw,lowerdir=/srv/x,upperdir=" + UPPER + "2,workdir=/w", Path.of("/srv/x"),
                UPPER), "a longer upper is another layer");
    }
}
