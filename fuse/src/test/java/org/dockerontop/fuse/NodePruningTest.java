package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.dockerontop.overlay.nativeio.Native;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A walk of more files than {@code maxnodes=} keeps our server's node table near that limit (the
 * kernel is asked to forget nodes nothing uses: {@link NodePruner}), and what is in use meanwhile,
 * an open file and a process's working directory, stays as it was. Before, the table held a node
 * for every file the kernel cached, and a walk of ~300,000 files filled the server's heap.
 */
class NodePruningTest {
    private static final int FILES = 1000;
    private static final Pattern PRUNED = Pattern.compile("node table pruned from (\\d+) to (\\d+) nodes");

    @TempDir
    Path tmp;

    @Test
    void aWalkOfMoreFilesThanTheLimitKeepsTheTableNearItAndWhatIsInUse() throws Exception {
        assumeTrue(Native.LIBC.geteuid() == 0 && Files.exists(Path.of("/dev/fuse")), "needs root and /dev/fuse");
        assumeTrue(OverlayMount.javaLoop(), "the node table is our loop's (libfuse keeps its own)");
        assumeTrue(kernelCanPrune(), "FUSE_NOTIFY_PRUNE needs Linux 6.18");
        try (OverlayMount m = new OverlayMount(tmp)) {
            for (String d : new String[] {"a", "b"}) {
                Files.createDirectory(m.lower.resolve(d));
                for (int i = 0; i < FILES; i++) {
                    Files.writeString(m.lower.resolve(d).resolve("f" + i), d + i);
                }
            }
            m.mount(",maxnodes=200");
            Path log = m.serverOutput();
            Path b = m.mnt.resolve("b");
            try (FileChannel open = FileChannel.open(m.mnt.resolve("a/f0"), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                Process inB = new ProcessBuilder("sleep", "120").directory(b.toFile()).start();
                try {
                    for (int round = 0; round < 2; round++) {
                        for (String d : new String[] {"a", "b"}) {
                            for (int i = 0; i < FILES; i++) {
                                assertEquals((d + i).length(), Files.size(m.mnt.resolve(d).resolve("f" + i)));
                            }
                        }
                    }
                    int last = lastPrunedTo(log);
                    assertTrue(last <= 200, "the table after the walk: " + last + " nodes\n" + Files.readString(log));

                    assertEquals(b, Files.readSymbolicLink(Path.of("/proc", Long.toString(inB.pid()), "cwd")));
                    open.write(ByteBuffer.wrap("X".getBytes(StandardCharsets.US_ASCII)), 0);
                    open.force(true);
                    assertEquals("X0", Files.readString(m.upper.resolve("a/f0")));
                    for (String d : new String[] {"a", "b"}) {
                        for (int i = 1; i < FILES; i++) {
                            assertEquals(d + i, Files.readString(m.mnt.resolve(d).resolve("f" + i)));
                        }
                    }
                } finally {
                    inB.destroy();
                    inB.waitFor();
                }
            }
        }
    }

    /** The table's size at the end of the last pruning round the server logged, once it has logged one. */
    private static int lastPrunedTo(Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            int last = -1;
            if (Files.exists(log)) {
                Matcher m = PRUNED.matcher(Files.readString(log));
                while (m.find()) {
                    last = Integer.parseInt(m.group(2));
                }
            }
            if ((last >= 0 && last <= 200) || System.nanoTime() > deadline) {
                return last >= 0 ? last : Integer.MAX_VALUE;
            }
            Thread.sleep(100);
        }
    }

    private static boolean kernelCanPrune() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/kallsyms"))) {
            // "address type name [module]"
            return lines.map(l -> l.split("\\s+")).anyMatch(f -> f.length >= 3 && f[2].equals("fuse_try_prune_one_inode"));
        }
    }
}
