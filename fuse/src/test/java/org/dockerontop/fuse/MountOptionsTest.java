package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class MountOptionsTest {
    @Test
    void parsesTheFuseOverlayfsForm() throws Exception {
        MountOptions o = MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w", "/mnt"});
        assertEquals("/l", o.lowerDir);
        assertEquals("/u", o.upperDir);
        assertEquals("/w", o.workDir);
        assertEquals("/mnt", o.mountPoint);
        assertFalse(o.foreground);
        assertFalse(o.volatileMount);
    }

    @Test
    void volatileIsAnOptionOfOurs() throws Exception {
        MountOptions o = MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,volatile", "/mnt"});
        assertTrue(o.volatileMount);
        assertFalse(o.ignored.contains("volatile"));
    }

    @Test
    void loopChoosesWhoServesTheDevice() throws Exception {
        assertEquals(Loop.JAVA_ELSE_LIBFUSE,
                MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w", "/m"}).loop);
        assertEquals(Loop.JAVA,
                MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,loop=java", "/m"}).loop);
        assertEquals(Loop.LIBFUSE, MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,loop=java",
                "-o", "loop=libfuse", "/m"}).loop);
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,loop=c", "/m"}));
    }

    @Test
    void maxnodesLimitsTheNodeTableAndDefaultsToTheHeap() throws Exception {
        assertEquals(0, MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w", "/m"}).maxNodes);
        assertEquals(5000,
                MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,maxnodes=5000", "/m"}).maxNodes);
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,maxnodes=10", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,maxnodes=many", "/m"}));
        assertEquals(447_392, NodePruner.defaultLimit(256L << 20));
        assertEquals(10_000, NodePruner.defaultLimit(1L << 20));
    }

    @Test
    void parsesTheMountHelperFormWithGenericOptions() throws Exception {
        MountOptions o = MountOptions.parse(new String[] {"vol1", "/mnt", "-o",
                "rw,noatime,lowerdir=/l,dev,suid,upperdir=/u,workdir=/w,relatime,x-systemd.foo,_netdev", "-f"});
        assertEquals("vol1", o.source);
        assertEquals("/mnt", o.mountPoint);
        assertTrue(o.foreground);
        assertEquals(List.of("noatime", "dev", "suid"), o.mountFlags);
        assertTrue(o.ignored.contains("relatime"));
    }

    @Test
    void backslashEscapesCommaColonAndBackslash() throws Exception {
        MountOptions o = MountOptions.parse(new String[] {"-o",
                "lowerdir=/a\\,b\\:c\\\\d,upperdir=/u\\,1,workdir=/w", "/mnt"});
        assertEquals("/a,b:c\\d", o.lowerDir);
        assertEquals("/u,1", o.upperDir);
    }

    @Test
    void joinsSeveralOptionLists() throws Exception {
        MountOptions o = MountOptions.parse(new String[] {"-o", "lowerdir=/l", "-oupperdir=/u", "-o", "workdir=/w", "/m"});
        assertEquals("/w", o.workDir);
    }

    @Test
    void refusesBadOrMissingLayers() {
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "upperdir=/u,workdir=/w", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,workdir=/w", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/a:/b,upperdir=/u,workdir=/w", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=,upperdir=/u,workdir=/w", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"-o", "lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=on", "/m"}));
        assertThrows(MountOptions.UsageException.class,
                () -> MountOptions.parse(new String[] {"--bogus", "-o", "lowerdir=/l,upperdir=/u,workdir=/w", "/m"}));
    }

    @Test
    void libfuseOptionsEscapeTheSourceAndCarryThePerformanceSettings() throws Exception {
        MountOptions o = MountOptions.parse(new String[] {"a,b", "/m", "-o", "lowerdir=/l,upperdir=/u,workdir=/w,nodev"});
        String s = FuseMain.fuseOptions(o);
        assertTrue(s.startsWith("fsname=a\\,b,subtype=docker-on-top-fuse,"), s);
        assertTrue(s.contains("allow_other,default_permissions"), s);
        assertTrue(s.contains("big_writes,max_write=131072"), s);
        assertTrue(s.contains("kernel_cache"), s);
        assertTrue(s.endsWith("dev,suid,nonempty,nodev"), s);
    }
}
