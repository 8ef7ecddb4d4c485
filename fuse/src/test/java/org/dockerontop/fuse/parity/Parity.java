package org.dockerontop.fuse.parity;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.function.Executable;

/**
 * The parity harness: builds two identical layer sets, runs one {@link Scenario} on a kernel overlay
 * mount of the first and on the filesystem under test over the second, and asserts that
 * <ol>
 * <li>every operation returned the same result or errno ({@link Ops} log),</li>
 * <li>the mounted views are identical at the end ({@link TreeSnapshot#merged}),</li>
 * <li>after unmounting, the upper directories are identical ({@link TreeSnapshot#upper}): same whiteouts,
 *     opaque markers, copied-up files with the same modes, owners, times and xattrs,</li>
 * <li>neither lower directory changed at all (content, metadata, ctime), and no temporary file is left
 *     in either workdir.</li>
 * </ol>
 */
public final class Parity {
    private Template lower = Layouts.LOWER;
    private Template upper = Template.EMPTY;
    private boolean blocks;

    private Parity() {}

    public static Parity with() {
        return new Parity();
    }

    /** Runs {@code s} on the standard lower and an empty upper. */
    public static void check(Scenario s) throws Exception {
        with().verify(s);
    }

    public Parity lower(Template t) {
        lower = t;
        return this;
    }

    public Parity upper(Template t) {
        upper = t;
        return this;
    }

    /** Also render whether files of 1 MiB or more are sparse (allocated < half their size) or allocated. */
    public Parity blocks() {
        blocks = true;
        return this;
    }

    /** What one run produced. */
    public record Run(String overlay, List<String> log, String merged, String upper, String lowerBefore,
                      String lowerAfter, String workLeftovers) {}

    public void verify(Scenario s) throws Exception {
        Path base = tempBase();
        try {
            Run k = run(Overlay.kernel(), base.resolve("kernel"), s);
            Run f = run(Overlay.underTest(), base.resolve("fuse"), s);
            if (Boolean.getBoolean("dot.parity.verbose")) {
                System.out.println("=== kernel log\n" + String.join("\n", k.log) + "\n=== kernel view\n" + k.merged
                        + "=== kernel upper\n" + k.upper);
            }
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> same(String.join("\n", k.log), String.join("\n", f.log),
                    "operation results differ (expected = kernel, actual = fuse)"));
            checks.add(() -> same(k.merged, f.merged, "mounted view differs (expected = kernel, actual = fuse)"));
            checks.add(() -> same(k.upper, f.upper, "upper directory after unmount differs (expected = kernel, actual = fuse)"));
            for (Run r : List.of(k, f)) {
                checks.add(() -> same(r.lowerBefore, r.lowerAfter, r.overlay + " modified the lower directory"));
                checks.add(() -> assertEquals("", r.workLeftovers, r.overlay + " left files in its workdir"));
            }
            assertAll(checks);
        } finally {
            cleanUp(base);
        }
    }

    /**
     * Fails with a "-"/"+" line diff; short texts also go through assertEquals so IDEs can show them side
     * by side, long ones (a 10,000-entry tree) only as the diff.
     */
    public static void same(String expected, String actual, String what) {
        if (expected.equals(actual)) return;
        String diff = Diff.text(expected, actual);
        if (expected.length() + actual.length() > 40_000) fail(what + "\n" + diff);
        assertEquals(expected, actual, what + "\n" + diff);
    }

    Run run(Overlay overlay, Path dir, Scenario s) throws Exception {
        LayerDirs d = prepare(dir, lower, upper);
        String lowerBefore = TreeSnapshot.lower(d.lower().toString());
        long since = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
        Ops ops = new Ops(d.mnt(), since);
        ops.lowerBaseline = lowerBefore;
        String merged;
        ops.attach(overlay, d, overlay.mount(d));
        try {
            try {
                s.run(ops);
            } catch (Exception | AssertionError e) {
                ops.log().add("scenario aborted: " + e);
            }
            ops.closeLeftovers();
            merged = TreeSnapshot.merged(d, since, blocks);
        } finally {
            ops.unmount();
        }
        return new Run(overlay.name(), ops.log(), merged, TreeSnapshot.upper(d.upper().toString(), since, blocks),
                ops.lowerBaseline, TreeSnapshot.lower(d.lower().toString()), leftovers(d.work()));
    }

    /** Creates the four directories under {@code dir} and builds the layers. */
    public static LayerDirs prepare(Path dir, Template lower, Template upper) throws IOException {
        LayerDirs d = LayerDirs.create(dir);
        Template.apply(lower, d.lower());
        Template.apply(upper, d.upper());
        return d;
    }

    /**
     * Names of files left anywhere under the workdir: a half-done copy-up or rename. Directories are
     * allowed (the kernel keeps work/work), and so are whiteouts (the kernel keeps one shared whiteout
     * there, "#NNN", and makes every whiteout as a hard link of it).
     */
    static String leftovers(Path work) throws IOException {
        StringBuilder b = new StringBuilder();
        try (var s = Files.walk(work)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Sys.Stat st = Sys.lstat(p.toString());
                if (st.isDir() || (st.type() == LibC.S_IFCHR && st.rdev() == 0)) continue;
                b.append(work.relativize(p)).append('\n');
            }
        }
        return b.toString();
    }

    /** A fresh world-traversable temp directory for one test. */
    public static Path tempBase() throws IOException {
        Path base = Files.createTempDirectory("dot-parity-");
        Sys.chmod(base.toString(), 0755);
        return base;
    }

    /** Deletes a test's directory, refusing (loudly) while anything is still mounted below it. */
    public static void cleanUp(Path base) throws Exception {
        MountRegistry.cleanUpAll();
        List<String> left = MountTable.mountsUnder(base);
        if (!left.isEmpty()) throw new IllegalStateException("still mounted, not deleting " + base + ": " + left);
        Cmd.ok("rm", "-rf", "--one-file-system", base.toString());
    }
}
