package org.dockerontop.fuse.regression;

import static org.dockerontop.fuse.parity.LibC.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import org.dockerontop.fuse.parity.Cmd;
import org.dockerontop.fuse.parity.LeaveNoMounts;
import org.dockerontop.fuse.parity.Layouts;
import org.dockerontop.fuse.parity.LibC;
import org.dockerontop.fuse.parity.Parity;
import org.dockerontop.fuse.parity.Template;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * fuse-overlayfs #475: a SQLite database rewritten through the mount was silently corrupted. A database
 * that starts in the lower layer is rewritten in place (copy-up, then random page writes, journal,
 * WAL with its shared-memory mmap, VACUUM) and must pass PRAGMA integrity_check with the same content as
 * on the kernel overlay; a Java writer does the same with random-offset pwrite/fsync and mmap writes
 * against an in-memory model.
 */
@ExtendWith(LeaveNoMounts.class)
@Timeout(value = 600, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SqliteRewriteRegressionTest {

    static final Template LOWER_WITH_DB = t -> {
        Layouts.LOWER.build(t);
        String sql = "PRAGMA page_size=4096; CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, n INTEGER);"
                + "CREATE INDEX kv_n ON kv(n);"
                + "INSERT INTO kv WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 19999)"
                + " SELECT i, 'value-' || (i * 7919 % 10007) || '-' || substr(printf('%.50c', 'x'), 1, i % 50), i % 97 FROM c;";
        try {
            Cmd.Result r = Cmd.run(java.util.List.of("sqlite3", t.abs("db.sqlite"), sql), null, 120);
            if (r.exit() != 0) throw new IOException("sqlite3: " + r.stderr());
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        t.file("model.bin", seeded(8 << 20, 1), 0644);
    };

    static byte[] seeded(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void sqliteDatabaseRewrittenThroughTheMountStaysIntact() throws Exception {
        Assumptions.assumeTrue(Cmd.run("sh", "-c", "command -v sqlite3").exit() == 0, "sqlite3 is not installed");
        Parity.with().lower(LOWER_WITH_DB).verify(o -> {
            // rollback journal: updates all over the file, deletes, inserts, then VACUUM rewrites every page
            o.sh("sqlite3 db.sqlite \"PRAGMA journal_mode=DELETE; BEGIN; UPDATE kv SET v = v || '-updated' WHERE k % 3 = 0;"
                    + " DELETE FROM kv WHERE k % 11 = 0; INSERT INTO kv SELECT k + 100000, 'new-' || v, n FROM kv WHERE k % 13 = 0;"
                    + " COMMIT; VACUUM; PRAGMA integrity_check; SELECT count(*), sum(n), sum(length(v)) FROM kv;\"");
            // WAL: the -shm file is mmap'ed shared and written by two connections
            o.sh("sqlite3 db.sqlite \"PRAGMA journal_mode=WAL; UPDATE kv SET n = n + 1 WHERE k % 5 = 0;\" "
                    + "&& sqlite3 db.sqlite \"UPDATE kv SET v = 'wal-' || v WHERE k % 7 = 0; PRAGMA wal_checkpoint(TRUNCATE);\" "
                    + "&& sqlite3 db.sqlite \"PRAGMA journal_mode=DELETE; PRAGMA integrity_check; SELECT count(*), sum(n), sum(length(v)) FROM kv;\"");
            o.remount();
            o.sh("sqlite3 db.sqlite \"PRAGMA integrity_check; SELECT count(*), sum(n), sum(length(v)), max(k) FROM kv;\"");
            o.sh("ls");
        });
    }

    /** 3,000 random-offset pwrites with periodic fsync, then mmap writes; checked against a model after a remount. */
    @Test
    void randomOffsetRewriteWithFsyncMatchesModel() throws Exception {
        Parity.with().lower(LOWER_WITH_DB).verify(o -> {
            byte[] model = seeded(8 << 20, 1);
            Random rnd = new Random(42);
            int fd = LibC.INSTANCE.open(o.path("model.bin"), O_RDWR, 0);
            o.note("open model.bin", fd >= 0);
            int failures = 0;
            for (int i = 0; i < 3000; i++) {
                int len = 1 + rnd.nextInt(16384);
                long off = (long) rnd.nextInt(model.length + 65536 - len);
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                if (LibC.INSTANCE.pwrite(fd, data, len, off) != len) failures++;
                if (off + len > model.length) model = java.util.Arrays.copyOf(model, (int) (off + len));
                System.arraycopy(data, 0, model, (int) off, len);
                if (i % 100 == 99 && LibC.INSTANCE.fsync(fd) != 0) failures++;
            }
            LibC.INSTANCE.close(fd);
            o.note("failed pwrite/fsync calls", failures);
            // writes through a shared mapping, flushed with msync
            try (FileChannel ch = FileChannel.open(Path.of(o.path("model.bin")), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 1 << 20);
                for (int i = 0; i < 200; i++) {
                    int pos = rnd.nextInt((1 << 20) - 8);
                    long v = rnd.nextLong();
                    map.putLong(pos, v);
                    ByteBuffer.wrap(model, pos, 8).putLong(v);
                }
                map.force();
                Unmap.now(map);
            }
            o.note("content matches model", sha(Files.readAllBytes(Path.of(o.path("model.bin")))).equals(sha(model)));
            dropCaches();
            o.note("content matches model after dropping caches", sha(Files.readAllBytes(Path.of(o.path("model.bin")))).equals(sha(model)));
            o.remount();
            o.note("content matches model after remount", sha(Files.readAllBytes(Path.of(o.path("model.bin")))).equals(sha(model)));
            o.note("upper file matches model", sha(Files.readAllBytes(o.dirs().upper().resolve("model.bin"))).equals(sha(model)));
        });
    }

    static void dropCaches() throws IOException {
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

}
