package org.dockerontop.fuse.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import jnr.ffi.Pointer;
import org.dockerontop.fuse.OverlayMount;
import org.dockerontop.fuse.TraceEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Listings that bring every entry's attributes (READDIRPLUS, which the filesystem under test serves
 * although libfuse 2.9 does not know it): the attributes the kernel gets that way must be exactly
 * those the kernel overlay shows, and the kernel must really get them with the listing, which
 * {@link FuseRequests} checks by the kernel's own count of the requests it sent (no LOOKUP for a
 * listed entry).
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParityReaddirPlusTest {

    /**
     * Entries of the long directory's lower layer: some 800 KiB of READDIRPLUS entries, over 20 replies
     * of 32 KiB (what the kernel asks for glibc's getdents buffer), 200 pages of 4 KiB.
     */
    private static final int LONG = 3000;

    /** A cold walk of every kind of entry: lower, upper, copied-up, whiteout-hidden, opaque, symlink, fifo... */
    @Test
    void coldWalkTakesEveryEntrysAttributesFromTheListing() throws Exception {
        Path base = Parity.tempBase();
        try {
            long since = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
            LayerDirs k = Parity.prepare(base.resolve("kernel"), Layouts.LOWER, Layouts.UPPER);
            LayerDirs f = Parity.prepare(base.resolve("fuse"), Layouts.LOWER, Layouts.UPPER);
            String expected;
            try (Overlay.Mounted m = Overlay.kernel().mount(k)) {
                expected = TreeSnapshot.merged(k, since, false);
            }
            try (Overlay.Mounted m = Overlay.underTest().mount(f)) {
                assumeTraceable(m);
                String actual;
                Map<Integer, Integer> requests;
                // lists each directory, then lstats, reads and lists the xattrs of each entry
                try (FuseRequests r = FuseRequests.start(f.mnt())) {
                    actual = TreeSnapshot.merged(f, since, false);
                    requests = r.stop();
                }
                Parity.same(expected, actual, "cold walk differs (expected = kernel, actual = fuse)");
                long dirs = expected.lines().filter(l -> l.split(" ")[1].startsWith("d")).count();
                assertTrue(requests.getOrDefault(FuseRequests.READDIRPLUS, 0) >= dirs,
                        "every directory listed with READDIRPLUS: " + dirs + " directories, requests " + requests);
                assertEquals(0, requests.getOrDefault(FuseRequests.LOOKUP, 0),
                        "no entry looked up on its own after its directory's listing: requests " + requests);
            }
        } finally {
            Parity.cleanUp(base);
        }
    }

    /**
     * A merged directory far longer than one READDIRPLUS reply, names of 1 to 253 bytes: listed
     * completely and exactly once whether the kernel asks READDIRPLUS for every page (a walk that
     * stats as it lists) or only for the first (a bare listing: READDIRPLUS_AUTO, the later pages
     * plain READDIR resuming at the offsets of the first), with the kernel overlay's attributes.
     */
    @Test
    void longDirectoryIsListedCompletelyAndOnceWithItsAttributes() throws Exception {
        Template lower = t -> {
            t.dir("big", 0755);
            for (int i = 0; i < LONG; i++) {
                String p = "big/" + name(i);
                if (i % 97 == 0) {
                    t.dir(p, 0750);
                } else if (i % 89 == 0) {
                    t.symlink(p, "target-" + i);
                } else {
                    t.file(p, "lower " + i + "\n", i % 3 == 0 ? 0600 : 0644);
                }
            }
        };
        Template upper = t -> {
            t.dir("big", 0755);
            for (int i = 0; i < LONG; i++) {
                if (i % 50 == 1) {
                    t.whiteout("big/" + name(i));
                } else if (i % 50 == 2 && i % 97 != 0 && i % 89 != 0) {
                    t.file("big/" + name(i), "upper " + i + "\n", 0640); // a copied-up and changed file
                }
            }
            for (int i = 0; i < LONG; i += 7) {
                t.file("big/u" + name(i), "new " + i + "\n", 0644);
            }
        };
        TreeSet<String> names = new TreeSet<>();
        for (int i = 0; i < LONG; i++) {
            if (i % 50 != 1) names.add(name(i));
        }
        for (int i = 0; i < LONG; i += 7) names.add("u" + name(i));

        Path base = Parity.tempBase();
        try {
            long since = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
            LayerDirs k = Parity.prepare(base.resolve("kernel"), lower, upper);
            LayerDirs f = Parity.prepare(base.resolve("fuse"), lower, upper);
            String expected;
            try (Overlay.Mounted m = Overlay.kernel().mount(k)) {
                expected = TreeSnapshot.merged(k, since, false);
            }
            String big = f.mnt().resolve("big").toString();
            Overlay fuse = Overlay.underTest();

            // a bare listing on a fresh mount, then every entry's attributes
            try (Overlay.Mounted m = fuse.mount(f)) {
                assumeTraceable(m);
                Sys.lstat(big); // its own LOOKUP, before counting
                List<String> listed = new ArrayList<>();
                Map<Integer, Integer> requests;
                try (FuseRequests r = FuseRequests.start(f.mnt())) {
                    for (Sys.Dirent e : Sys.readdir(big)) listed.add(e.name());
                    requests = r.stop();
                }
                assertListedOnce(names, listed, "bare listing (requests " + requests + ")");
                assertTrue(requests.getOrDefault(FuseRequests.READDIRPLUS, 0) >= 1, "READDIRPLUS: requests " + requests);
                Parity.same(expected, TreeSnapshot.merged(f, since, false),
                        "after a bare listing (expected = kernel, actual = fuse)");
            }

            // a walk that stats each entry as it is listed, on a fresh mount: every page with attributes
            try (Overlay.Mounted m = fuse.mount(f)) {
                Sys.lstat(big);
                List<String> listed = new ArrayList<>();
                Map<Integer, Integer> requests;
                try (FuseRequests r = FuseRequests.start(f.mnt())) {
                    LibC c = LibC.INSTANCE;
                    Pointer dir = c.opendir(big);
                    assertTrue(dir != null, "opendir " + big);
                    try {
                        for (Pointer e = c.readdir(dir); e != null; e = c.readdir(dir)) {
                            String name = e.getString(19, 256, StandardCharsets.UTF_8);
                            listed.add(name);
                            if (!name.equals(".") && !name.equals("..")) Sys.lstat(big + "/" + name);
                        }
                    } finally {
                        c.closedir(dir);
                    }
                    requests = r.stop();
                }
                assertListedOnce(names, listed, "listing while stating (requests " + requests + ")");
                assertTrue(requests.getOrDefault(FuseRequests.READDIRPLUS, 0) > 1,
                        "several READDIRPLUS pages: requests " + requests);
                assertEquals(0, requests.getOrDefault(FuseRequests.LOOKUP, 0),
                        "every entry came with its attributes: requests " + requests);
                // the attributes the listing brought are those the kernel keeps (60 s timeouts)
                Parity.same(expected, TreeSnapshot.merged(f, since, false),
                        "after a listing while stating (expected = kernel, actual = fuse)");
            }
        } finally {
            Parity.cleanUp(base);
        }
    }

    /**
     * A directory listed again after a change, its entries made through the mount and looked up,
     * so that the kernel holds a node for each: the READDIRPLUS that lists them again must not look
     * them up again (it gives those entries node id 0, and the kernel keeps the entries and
     * attributes it has), so the server stats none of them (our loop; libfuse's looks each up);
     * what the kernel shows afterwards is
     * still the kernel overlay's, and no entry needs a LOOKUP of its own.
     */
    @Test
    void relistingEntriesTheKernelHoldsLooksNoneUpAgain() throws Exception {
        int files = 300; // more than one READDIRPLUS page (about 200 of these names)
        Path base = Parity.tempBase();
        try {
            long since = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
            LayerDirs k = Parity.prepare(base.resolve("kernel"), Layouts.LOWER, Template.EMPTY);
            LayerDirs f = Parity.prepare(base.resolve("fuse"), Layouts.LOWER, Template.EMPTY);
            String expected;
            try (Overlay.Mounted m = Overlay.kernel().mount(k)) {
                makeAndStat(k.mnt(), files);
                Sys.readdir(k.mnt().resolve("new").toString());
                expected = TreeSnapshot.merged(k, since, false);
            }
            try (Overlay.Mounted m = Overlay.underTest().mount(f)) {
                assumeTraceable(m);
                assumeTrue(TraceEvents.available(FSTATAT), "needs the newfstatat syscall tracepoint");
                makeAndStat(f.mnt(), files);
                String tids = threads(m.serverPid());
                String trace;
                Map<Integer, Integer> requests;
                try (TraceEvents stats = TraceEvents.start(FSTATAT, tids)) {
                    try (FuseRequests r = FuseRequests.start(f.mnt())) {
                        assertEquals(files + 3, Sys.readdir(f.mnt().resolve("new").toString()).size());
                        requests = r.stop();
                    }
                    trace = stats.stop();
                }
                assertEquals(tids, threads(m.serverPid()), "the server's threads changed while tracing");
                assertTrue(requests.getOrDefault(FuseRequests.READDIRPLUS, 0) >= 1, "READDIRPLUS: requests " + requests);
                long statted = trace.lines().filter(l -> l.contains("sys_newfstatat(")).count();
                if (OverlayMount.javaLoop()) { // libfuse's loop looks every entry up (ReaddirPlus)
                    assertTrue(statted < 20, "the server stats the directory, not its " + files
                            + " known entries: " + statted + " newfstatat calls while listing");
                }
                String actual;
                try (FuseRequests r = FuseRequests.start(f.mnt())) {
                    for (int i = 0; i < files; i++) Sys.lstat(f.mnt().resolve("new/f" + i).toString());
                    requests = r.stop();
                }
                assertEquals(0, requests.getOrDefault(FuseRequests.LOOKUP, 0),
                        "the kernel kept every entry: requests " + requests);
                actual = TreeSnapshot.merged(f, since, false);
                Parity.same(expected, actual, "after listing known entries again (expected = kernel, actual = fuse)");
            }
        } finally {
            Parity.cleanUp(base);
        }
    }

    private static final String FSTATAT = "syscalls/sys_enter_newfstatat";

    /** Files of several modes made and looked up through {@code mnt}, then one more (the listing changes). */
    private static void makeAndStat(Path mnt, int files) throws Exception {
        Path dir = mnt.resolve("new");
        java.nio.file.Files.createDirectory(dir);
        for (int i = 0; i < files; i++) {
            Path p = dir.resolve("f" + i);
            java.nio.file.Files.writeString(p, "x".repeat(i % 7));
            Sys.chmod(p.toString(), 0600 | (i % 8) << 3);
        }
        for (int i = 0; i < files; i++) Sys.lstat(dir.resolve("f" + i).toString());
        Sys.readdir(dir.toString()); // a listing the kernel caches ...
        java.nio.file.Files.writeString(dir.resolve("last"), "y"); // ... and drops when the directory changes
    }

    /** A tracefs filter for the threads of process {@code pid}. */
    private static String threads(long pid) throws IOException {
        try (java.util.stream.Stream<Path> tasks = java.nio.file.Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.map(t -> "common_pid == " + t.getFileName()).sorted().collect(java.util.stream.Collectors.joining(" || "));
        }
    }

    /** Entry {@code i}'s name: 1 to 253 bytes, unique. */
    private static String name(int i) {
        String id = Integer.toString(i, 36);
        return i < 36 ? id : id + "-" + "x".repeat((i * 53) % 250);
    }

    private static void assertListedOnce(TreeSet<String> expected, List<String> listed, String what) {
        List<String> withoutDots = new ArrayList<>(listed);
        withoutDots.removeIf(n -> n.equals(".") || n.equals(".."));
        assertEquals(listed.size() - 2, withoutDots.size(), what + ": \".\" and \"..\" once each");
        TreeSet<String> unique = new TreeSet<>(withoutDots);
        assertEquals(withoutDots.size(), unique.size(), what + ": some names listed twice");
        assertEquals(expected, unique, what + ": names");
    }

    private static void assumeTraceable(Overlay.Mounted m) {
        assumeTrue(m.serverPid() > 0, "the filesystem under test is not a FUSE mount");
        assumeTrue(FuseRequests.available(), "needs tracefs and the kernel's fuse_request_send tracepoint (6.15+)");
    }
}
