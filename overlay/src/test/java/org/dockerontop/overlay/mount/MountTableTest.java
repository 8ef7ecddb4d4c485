package org.dockerontop.overlay.mount;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class MountTableTest {
    private static final String SAMPLE = String.join("\n",
            "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard",
            "35 22 0:30 / /var/lib/docker-on-top/with\\040space/mountpoint rw,relatime shared:20 - overlay "
                    + "docker-on-top_with\\040space rw,lowerdir=/srv/a\\054b,upperdir=/x/upper,workdir=/x/workdir",
            "36 22 0:31 / /var/lib/docker-on-top/fusevol/mountpoint rw,nosuid,nodev,relatime shared:21 - "
                    + "fuse.docker-on-top-fuse docker-on-top rw,user_id=0,group_id=0,allow_other",
            "37 22 0:32 / /tmp/tab\\011nl\\012bs\\134end rw - tmpfs tmpfs rw",
            "38 22 0:33 / /var/lib/docker-on-top/fusevol/mountpoint rw master:3 propagate_from:1 - overlay stacked rw",
            "garbage line",
            "");

    @Test
    void decodesOctalEscapesInPathsAndSources() {
        MountTable t = MountTable.parse(SAMPLE);
        assertEquals(5, t.entries().size());
        MountEntry e = t.at(Path.of("/var/lib/docker-on-top/with space/mountpoint")).orElseThrow();
        assertTrue(e.isOverlay());
        assertEquals("docker-on-top_with space", e.source());
        assertTrue(e.superOptions().contains("lowerdir=/srv/a,b"));
        assertTrue(t.isMountpoint(Path.of("/tmp/tab\tnl\nbs\\end")));
    }

    @Test
    void readsTheDeviceAndThePropagationTags() {
        MountTable t = MountTable.parse(SAMPLE);
        MountEntry shared = t.at(Path.of("/var/lib/docker-on-top/with space/mountpoint")).orElseThrow();
        assertEquals("0:30", shared.device());
        assertEquals("20", shared.peerGroup());
        assertNull(shared.masterGroup());
        MountEntry slave = t.at(Path.of("/var/lib/docker-on-top/fusevol/mountpoint")).orElseThrow();
        assertEquals("0:33", slave.device());
        assertNull(slave.peerGroup());
        assertEquals("3", slave.masterGroup());
        MountEntry priv = t.at(Path.of("/tmp/tab\tnl\nbs\\end")).orElseThrow();
        assertNull(priv.peerGroup());
        assertNull(priv.masterGroup());
    }

    @Test
    void topmostMountAtAPathWinsAndOptionalFieldsAreSkipped() {
        MountTable t = MountTable.parse(SAMPLE);
        MountEntry e = t.at(Path.of("/var/lib/docker-on-top/fusevol/mountpoint")).orElseThrow();
        assertEquals(38, e.id());
        assertEquals("overlay", e.fsType());
        assertEquals("stacked", e.source());
    }

    @Test
    void fuseTypesAreRecognised() {
        MountTable t = MountTable.parse(SAMPLE);
        MountEntry fuse = t.entries().get(2);
        assertEquals("fuse.docker-on-top-fuse", fuse.fsType());
        assertEquals("0:31", fuse.device());
        assertTrue(fuse.isFuse());
        assertFalse(fuse.isOverlay());
    }

    @Test
    void underListsMountsBelowADirectoryOnly() {
        MountTable t = MountTable.parse(SAMPLE);
        assertEquals(3, t.under(Path.of("/var/lib/docker-on-top")).size());
        assertEquals(0, t.under(Path.of("/var/lib/docker-on")).size(), "a path prefix is not a parent directory");
        assertTrue(t.at(Path.of("/nowhere")).isEmpty());
    }

    @Test
    void readsTheRealTable() throws Exception {
        assertTrue(MountTable.read().isMountpoint(Path.of("/")));
    }
}
