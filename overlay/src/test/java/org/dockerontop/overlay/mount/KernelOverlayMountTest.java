package org.dockerontop.overlay.mount;

import org.dockerontop.overlay.format.IncompatFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Real overlay mounts in temp directories (the tests run as root). */
class KernelOverlayMountTest {
    @TempDir
    Path tmp;

    @AfterEach
    void unmountLeftovers() throws Exception {
        List<MountEntry> left = MountTable.read().under(tmp);
        for (int i = left.size() - 1; i >= 0; i--) {
            KernelOverlayMount.detach(left.get(i).mountpoint());
        }
        assertTrue(left.isEmpty(), "test left mounts behind: " + left);
    }

    private record Dirs(Path lower, Path upper, Path work, Path mnt) {
    }

    private Dirs dirs(Path parent) throws IOException {
        Dirs d = new Dirs(parent.resolve("lower"), parent.resolve("upper"), parent.resolve("work"),
                parent.resolve("mnt"));
        for (Path p : List.of(d.lower, d.upper, d.work, d.mnt)) {
            Files.createDirectories(p);
        }
        Files.writeString(d.lower.resolve("base.txt"), "from base");
        return d;
    }

    private void assertWorks(Dirs d) throws Exception {
        assertEquals("from base", Files.readString(d.mnt.resolve("base.txt")));
        Files.writeString(d.mnt.resolve("base.txt"), "changed");
        Files.writeString(d.mnt.resolve("new.txt"), "new");
        assertEquals("changed", Files.readString(d.upper.resolve("base.txt")));
        assertEquals("new", Files.readString(d.upper.resolve("new.txt")));
        assertEquals("from base", Files.readString(d.lower.resolve("base.txt")), "the lower layer must not change");
        assertFalse(Files.exists(d.lower.resolve("new.txt")));
    }

    @Test
    void mountsWritesToUpperAndUnmounts() throws Exception {
        Dirs d = dirs(tmp);
        KernelOverlayMount.mount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_test");
        MountEntry e = MountTable.read().at(d.mnt).orElseThrow();
        assertTrue(e.isOverlay(), e.toString());
        assertEquals("docker-on-top_test", e.source());
        assertWorks(d);
        KernelOverlayMount.unmount(d.mnt);
        assertFalse(MountTable.read().isMountpoint(d.mnt));
        assertFalse(Files.exists(d.mnt.resolve("base.txt")));
    }

    @Test
    void aVolatileMountCarriesTheOptionAndMarksItsWorkdir() throws Exception {
        Dirs d = dirs(tmp);
        KernelOverlayMount.mount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_test", true);
        MountEntry e = MountTable.read().at(d.mnt).orElseThrow();
        assertTrue(e.superOptions().contains("volatile"), e.toString());
        assertWorks(d);
        KernelOverlayMount.unmount(d.mnt);
        assertEquals(java.util.Optional.of("volatile"), IncompatFeatures.marked(d.work));
    }

    @Test
    void basePathWithCommasColonsSpacesAndBackslashes() throws Exception {
        Dirs d = dirs(tmp.resolve("a,b:c d\\e,lowerdir=x:y"));
        KernelOverlayMount.mount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_test");
        // the mountpoint path contains a space and a backslash: found through mountinfo's octal escapes
        MountEntry e = MountTable.read().at(d.mnt).orElseThrow();
        assertTrue(e.isOverlay());
        assertWorks(d);
        KernelOverlayMount.unmount(d.mnt);
        assertFalse(MountTable.read().isMountpoint(d.mnt));
    }

    @Test
    void layerPathsLongerThanFsconfigStringLimit() throws Exception {
        Path deep = tmp;
        while (deep.toString().length() < 400) {
            deep = deep.resolve("a-rather-long-directory-name-0123456789");
        }
        Dirs d = dirs(deep);
        assertTrue(d.lower.toString().getBytes().length > 255);
        KernelOverlayMount.mount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_test");
        assertWorks(d);
        KernelOverlayMount.unmount(d.mnt);
        assertFalse(MountTable.read().isMountpoint(d.mnt));
    }

    @Test
    void upperOnAnOverlayIsRefusedWithTheKernelsReason() throws Exception {
        Dirs outer = dirs(tmp.resolve("outer"));
        KernelOverlayMount.mount(outer.lower, outer.upper, outer.work, outer.mnt, "docker-on-top_outer");
        try {
            Dirs inner = dirs(outer.mnt.resolve("inner")); // upper and work live on the outer overlay
            MountException e = assertThrows(MountException.class,
                    () -> KernelOverlayMount.mount(inner.lower, inner.upper, inner.work, inner.mnt, "nested"));
            assertTrue(Set.of("EINVAL", "EPERM", "EOPNOTSUPP", "ENODEV").contains(e.errnoName()), e.getMessage());
            assertTrue(e.getMessage().contains("kernel says"), e.getMessage());
            assertTrue(e.getMessage().contains(inner.mnt.toString()), e.getMessage());
            assertFalse(MountTable.read().isMountpoint(inner.mnt));
        } finally {
            KernelOverlayMount.unmount(outer.mnt);
        }
    }

    @Test
    void missingLayerIsENOENT() throws Exception {
        Dirs d = dirs(tmp);
        MountException e = assertThrows(MountException.class,
                () -> KernelOverlayMount.mount(tmp.resolve("missing"), d.upper, d.work, d.mnt, "x"));
        assertEquals("ENOENT", e.errnoName(), e.getMessage());
        assertEquals(2, e.errno());
    }

    @Test
    void busyMountIsRefusedThenDetached() throws Exception {
        Dirs d = dirs(tmp);
        KernelOverlayMount.mount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_test");
        try (InputStream open = Files.newInputStream(d.mnt.resolve("base.txt"))) {
            MountException e = assertThrows(MountException.class, () -> KernelOverlayMount.unmount(d.mnt));
            assertEquals("EBUSY", e.errnoName(), e.getMessage());
            assertTrue(MountTable.read().isMountpoint(d.mnt), "a refused unmount leaves the mount");
            KernelOverlayMount.detach(d.mnt);
            assertFalse(MountTable.read().isMountpoint(d.mnt));
            assertEquals('f', open.read(), "a detached mount stays usable for whoever still holds it");
        }
    }

    @Test
    void unmountingSomethingNotMountedIsEINVAL() throws Exception {
        Dirs d = dirs(tmp);
        MountException e = assertThrows(MountException.class, () -> KernelOverlayMount.unmount(d.mnt));
        assertEquals("EINVAL", e.errnoName());
    }

    @Test
    void aSourceLongerThanFsconfigAllowsIsCutNotRefused() throws Exception {
        Dirs d = dirs(tmp);
        KernelOverlayMount.mount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_" + "n".repeat(255));
        assertEquals(255, MountTable.read().at(d.mnt).orElseThrow().source().length());
        KernelOverlayMount.unmount(d.mnt);
    }

    @Test
    void mount2FallbackEscapesCommasAndColons() throws Exception {
        // the path taken on kernels without fsopen (ENOSYS), exercised directly
        Dirs d = dirs(tmp.resolve("x,y:z"));
        KernelOverlayMount.legacyMount(d.lower, d.upper, d.work, d.mnt, "docker-on-top_legacy");
        assertTrue(MountTable.read().at(d.mnt).orElseThrow().isOverlay());
        assertWorks(d);
        KernelOverlayMount.unmount(d.mnt);
    }

    @Test
    void legacyEscaping() {
        assertEquals("/a\\,b\\:c\\\\d", KernelOverlayMount.escapeLegacy("/a,b:c\\d"));
    }
}
