package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.ENTRY_OUT_SIZE;
import static org.dockerontop.fuse.FuseAbi.FOPEN_CACHE_DIR;
import static org.dockerontop.fuse.FuseAbi.FOPEN_KEEP_CACHE;
import static org.dockerontop.fuse.FuseAbi.OPEN_OUT_SIZE;

import java.nio.charset.StandardCharsets;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * The directory requests of {@link JavaRequests}: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and
 * FSYNCDIR. An open directory is a {@link DirHandle} in the mount's {@link JavaLoop.Mount#dirs},
 * shared by the workers; its listing is made at the first READDIR from offset 0. One per
 * worker, on its request buffer and reply.
 *
 * <p>Failures are {@link ErrnoException}s: EBADF for a directory handle not known, ENOENT for a
 * node with no path, else those of {@link OverlayFs}'s listing; the loop answers them. A
 * READDIRPLUS entry whose lookup fails is no failure (its node id is 0); the lookups a
 * READDIRPLUS counted are given back when its reply does not reach the kernel, or it fails.
 */
final class DirRequests extends RequestKind {
    private static final MemoryIO MEMORY = MemoryIO.getInstance();
    private static final int DIRENT_HEADER = 24;
    // the names readdir had in JavaRequests, so that it reads as it did there
    private static final int REPLY_BODY = Replies.BODY;
    private static final int NO_REPLY = Replies.NONE;

    private final JavaLoop.Mount mount;
    /** Node ids of the READDIRPLUS reply being built (the lookups it hands the kernel). */
    private long[] linked = new long[64];
    private int linkedCount;

    DirRequests(JavaLoop.Mount mount, OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        super(fs, nodes, mem, replies);
        this.mount = mount;
    }

    /** An open directory: its listing, made at the first READDIR from offset 0 (as libfuse does). */
    static final class DirHandle {
        final long node;
        byte[][] names;
        long[] inos;
        byte[] types;
        int count;

        DirHandle(long node) {
            this.node = node;
        }
    }

    /** Collects a listing into a {@link DirHandle}. A class, not a lambda (see FuseOverlay.Filler). */
    private static final class Collector implements OverlayFs.EntrySink {
        final DirHandle d;

        Collector(DirHandle d) {
            this.d = d;
            d.count = 0;
            d.names = new byte[32][];
            d.inos = new long[32];
            d.types = new byte[32];
        }

        @Override
        public boolean accept(long name, int dtype, long ino) {
            if (d.count == d.names.length) {
                d.names = java.util.Arrays.copyOf(d.names, d.count * 2);
                d.inos = java.util.Arrays.copyOf(d.inos, d.count * 2);
                d.types = java.util.Arrays.copyOf(d.types, d.count * 2);
            }
            d.names[d.count] = MEMORY.getZeroTerminatedByteArray(name);
            d.inos[d.count] = ino;
            d.types[d.count] = (byte) dtype;
            d.count++;
            return true;
        }
    }

    int opendir(long nodeid) {
        nodes.path(nodeid); // ENOENT for a directory without a name, as libfuse's get_path
        long fh = mount.nextDirHandle.getAndIncrement();
        mount.dirs.put(fh, new DirHandle(nodeid));
        body.putLong(0, fh);
        body.putInt(8, FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
        body.putInt(12, 0);
        return OPEN_OUT_SIZE;
    }

    /**
     * READDIR and READDIRPLUS from the listing made at offset 0; an entry's offset is its index
     * plus one, the same in both, so the kernel may mix them on one open directory. With
     * attributes, each entry but "." and ".." is looked up (one lookup of its node each, given back
     * if the reply does not reach the kernel); a name whose lookup fails gets node id 0.
     */
    int readdir(long nodeid, long unique, boolean plus) {
        DirHandle d = mount.dirs.get(mem.getLong(IN));
        if (d == null) {
            return -Errno.EBADF;
        }
        long offset = mem.getLong(IN + 8);
        int size = (int) Math.min(mem.getInt(IN + 16) & 0xffffffffL, REPLY_BODY);
        String dirPath = nodes.path(d.node);
        synchronized (d) {
            if (d.names == null || offset == 0) {
                fs.readdir(dirPath, new Collector(d));
            }
        }
        linkedCount = 0;
        int pos = 0;
        try {
            for (int i = (int) offset; i < d.count; i++) {
                byte[] name = d.names[i];
                int nl = name.length;
                int rec = DIRENT_HEADER + ((nl + 7) & ~7);
                int full = plus ? ENTRY_OUT_SIZE + rec : rec;
                if (pos + full > size) {
                    break;
                }
                int de = pos;
                if (plus) {
                    if (isDot(name) || !lookupForListing(d.node, dirPath, name, pos)) {
                        body.setMemory(pos, ENTRY_OUT_SIZE, (byte) 0); // node id 0: no entry made
                    }
                    de = pos + ENTRY_OUT_SIZE;
                }
                body.putLong(de, d.inos[i]);
                body.putLong(de + 8, i + 1);
                body.putInt(de + 16, nl);
                body.putInt(de + 20, d.types[i]);
                body.put(de + DIRENT_HEADER, name, 0, nl);
                body.setMemory(de + DIRENT_HEADER + nl, ((nl + 7) & ~7) - nl, (byte) 0);
                pos += full;
            }
        } catch (RuntimeException | Error e) {
            forgetLinked();
            throw e;
        }
        if (!plus) {
            return pos;
        }
        if (replies.send(unique, pos) != 0) {
            forgetLinked(); // the kernel did not take the entries, so it will never forget them
        }
        return NO_REPLY;
    }

    private static boolean isDot(byte[] name) {
        return name[0] == '.' && (name.length == 1 || (name.length == 2 && name[1] == '.'));
    }

    /** A LOOKUP of {@code name} for a READDIRPLUS entry at {@code pos}: false if it failed. */
    private boolean lookupForListing(long dir, String dirPath, byte[] name, int pos) {
        String n = new String(name, StandardCharsets.ISO_8859_1);
        String path = dirPath.length() == 1 ? "/" + n : dirPath + "/" + n;
        try {
            fs.getattr(path, st);
            long node = nodes.lookedUp(dir, n, fs.sharedInode(), Stat.isDir(st));
            if (linkedCount == linked.length) {
                linked = java.util.Arrays.copyOf(linked, linked.length * 2);
            }
            linked[linkedCount++] = node;
            AttrEncoding.entry(st, body, pos, node);
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    private void forgetLinked() {
        for (int i = 0; i < linkedCount; i++) {
            nodes.forget(linked[i], 1);
        }
        linkedCount = 0;
    }

    /** RELEASEDIR: fh; the listing goes with the handle. */
    int releasedir() {
        mount.dirs.remove(mem.getLong(IN));
        return 0;
    }

    /** FSYNCDIR. */
    int fsyncdir(long nodeid) {
        fs.fsyncdir(nodes.path(nodeid));
        return 0;
    }
}
