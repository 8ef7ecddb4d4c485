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

    @Test
    void theOriginalsSpellingsOfTheLayersAreTheVolumes() {
        // the original Go plugin passes the base as typed at create and its upper and workdir with a trailing slash
        String go = "rw,lowerdir=/srv/data/,upperdir=" + UPPER + "/,workdir=/var/lib/docker-on-top/v/workdir/";
        assertTrue(MountIdentity.overlayOf(go, Path.of("/srv/data/"), UPPER));
        assertTrue(MountIdentity.overlayOf("rw,lowerdir=/srv//./data/.,upperdir=/var/lib//docker-on-top/v/upper/"
                + ",workdir=/w/", Path.of("/srv/data"), UPPER));
        assertTrue(MountIdentity.overlayOf("rw,lowerdir=/srv/x/../data,upperdir=" + UPPER + ",workdir=/w",
                Path.of("/srv/x/../data"), UPPER), "a stored '..' is given to the kernel as it is");
    }

    @Test
    void spellingsAreNotStretchedToOtherLayers() {
        String upper = ",upperdir=" + UPPER + "/,workdir=/w/";
        assertFalse(MountIdentity.overlayOf("rw,lowerdir=/srv/data2/" + upper, Path.of("/srv/data"), UPPER));
        assertFalse(MountIdentity.overlayOf("rw,lowerdir=/srv/x/../data" + upper, Path.of("/srv/data"), UPPER),
                "through a symbolic link /srv/x/.. is not /srv");
        assertFalse(MountIdentity.overlayOf("rw,lowerdir=/srv/data:/srv/more" + upper, Path.of("/srv/data"), UPPER),
                "a second lower");
        assertFalse(MountIdentity.overlayOf("rw,lowerdir+=/srv/other,lowerdir+=/srv/data" + upper,
                Path.of("/srv/data"), UPPER), "under another lower");
        assertFalse(MountIdentity.overlayOf("rw,lowerdir+=/srv/data,datadir+=/srv/more" + upper,
                Path.of("/srv/data"), UPPER), "with a data layer");
        assertFalse(MountIdentity.overlayOf("rw,lowerdir=/srv/data/,upperdir=" + UPPER + "/x,workdir=/w",
                Path.of("/srv/data"), UPPER), "another upper");
    }

    @Test
    void lexicalSpellingKeepsWhatChangesTheDirectory() {
        assertEquals("/srv/data", MountIdentity.lexical("/srv//data/./"));
        assertEquals("/", MountIdentity.lexical("//"));
        assertEquals("/srv/x/../data", MountIdentity.lexical("/srv/x/../data/"));
        assertEquals("/srv/a\\,b", MountIdentity.lexical("/srv/a\\,b"));
    }
}
