package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.format.OriginXattr;
import org.dockerontop.overlay.format.OverlayXattrs;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * Makes the upper copy of a lower entry for a copy-up, the way the kernel overlay makes it: the
 * data with its holes, owner, mode, xattrs (the lower layer's own overlay ones left out), times and
 * the origin value, synced before it gets its name; then gives it that name keeping the parent
 * directory's times. {@link OverlayFs#copyUp} decides when and under which lock, and notes what the
 * copy changes in the overlay's caches and the kernel's.
 *
 * <p>Every method fails by throwing {@link ErrnoException} with the errno of the system call that
 * failed (xattrs the upper filesystem cannot store excepted, as the kernel ignores them); a copy
 * that fails part way is the caller's to remove ({@link #removeQuietly}).
 */
final class CopyUp {
    private static final LibC C = Native.LIBC;
    /** File names are held as byte strings: one char per byte (see LibC). */
    private static final java.nio.charset.Charset BYTES = java.nio.charset.StandardCharsets.ISO_8859_1;
    private static final int NOFOLLOW = Native.AT_SYMLINK_NOFOLLOW;
    /** The daemon's umask (it never changes it), or -1 if unknown. */
    private static final int UMASK = readUmask();

    private static int readUmask() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring(6).trim(), 8);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // an old kernel: every copy-up then sets the mode explicitly
        }
        return -1;
    }

    private final OverlayFs fs;
    /** The workdir, where copies are made before they get their names. */
    private final String work;
    /** False on a volatile mount: a copy-up is not synced (see {@link OverlayFs}). */
    private final boolean syncs;
    private final ThreadLocal<OverlayFs.Scratch> scratch;
    /**
     * Regular files are copied up into an O_TMPFILE file of the workdir, named only once synced
     * (as the kernel overlay copies up when the upper filesystem has O_TMPFILE): an fsync of a
     * file without a name does not also sync the workdir (ext4 syncs a new name's directory), and
     * the name is made in place by one link, not a create in the workdir and a rename out of it.
     */
    final boolean tmpfileCopyUp;
    /**
     * The group a new file in the workdir gets without a chown: ours, unless the workdir gives
     * its own (set-group-ID, or a grpid mount), which is then unknown (-1) and every copy-up chowns.
     */
    private final int workGid;
    /**
     * The device of base files the kernel refused copy_file_range for (a base on another
     * filesystem than the upper: EXDEV), or -1: later copies from it go straight to the buffer
     * instead of asking again for every copy-up and every data extent of a sparse file.
     */
    private volatile long copyRangeRefusedDev = -1;

    CopyUp(OverlayFs fs, String work, boolean syncs, ThreadLocal<OverlayFs.Scratch> scratch) {
        this.fs = fs;
        this.work = work;
        this.syncs = syncs;
        this.scratch = scratch;
        this.workGid = probeWorkGid(work);
        this.tmpfileCopyUp = probeTmpfileLink(work);
    }

    /**
     * The group a file created in {@code work} gets: ours, or the directory's if it is
     * set-group-ID or the filesystem is mounted grpid; found by creating one. -1 if that fails.
     */
    private static int probeWorkGid(String work) {
        String probe = work + "/#gid-probe";
        C.unlink(probe);
        int fd = C.open(probe, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC, 0600);
        if (fd < 0) {
            return -1;
        }
        try {
            Pointer st = Native.allocate(Stat.SIZE);
            return C.fstat(fd, st) == 0 ? Stat.gid(st) : -1;
        } finally {
            C.close(fd);
            C.unlink(probe);
        }
    }

    /**
     * Whether a file made with O_TMPFILE in {@code work} can be given a name there through its
     * /proc/self/fd link (the upper filesystem has O_TMPFILE, /proc is mounted): found by doing
     * it once. False if any step fails; copy-ups then use named temporary files.
     */
    private static boolean probeTmpfileLink(String work) {
        String probe = work + "/#tmpfile-probe";
        C.unlink(probe);
        int fd = C.open(work, Native.O_TMPFILE | Native.O_WRONLY | Native.O_CLOEXEC, 0600);
        if (fd < 0) {
            return false;
        }
        try {
            return C.linkat(Native.AT_FDCWD, procPath(fd), Native.AT_FDCWD, probe, Native.AT_SYMLINK_FOLLOW) == 0;
        } finally {
            C.close(fd);
            C.unlink(probe);
        }
    }

    private static String procPath(int fd) {
        return "/proc/self/fd/" + fd;
    }

    /** Renames a finished copy-up into place, keeping the parent's timestamps as they were. */
    void renameIntoPlace(String tmp, String target, String parent) {
        intoPlace(parent, () -> Native.check(C.rename(tmp, target), "rename", target));
    }

    /**
     * A regular file's copy made by {@link #copyFile} in the workdir, synced, waiting for its name:
     * an O_TMPFILE file ({@link #tmp} null) or a named one. {@link #close} closes it and, unless
     * {@link #place} named it, removes it; never fails.
     */
    static final class FileCopy implements AutoCloseable {
        /** Open on the copy: an O_TMPFILE copy's one reference until it is linked. */
        final int fd;
        /** Its name in the workdir, or null for an O_TMPFILE copy. */
        final String tmp;
        /** The origin value the copy carries, or null if none was recorded. */
        byte[] origin;
        private boolean placed;

        FileCopy(int fd, String tmp) {
            this.fd = fd;
            this.tmp = tmp;
        }

        /** Leaves a named copy where it is: it is not a copy-up's, and not {@link #place}d. */
        void keep() {
            placed = true;
        }

        @Override
        public void close() {
            C.close(fd);
            if (tmp != null && !placed) {
                C.unlink(tmp);
            }
        }
    }

    /**
     * Gives the finished {@code copy} its name {@code target} in the upper directory {@code parent}
     * (a rename of a named copy; a link of an O_TMPFILE one, or a link and a rename if something is
     * in the way), keeping the parent's timestamps.
     *
     * @throws ErrnoException what linkat or rename fail with
     */
    void place(FileCopy copy, String target, String parent) {
        if (copy.tmp != null) {
            renameIntoPlace(copy.tmp, target, parent);
        } else {
            linkIntoPlace(copy.fd, target, parent);
        }
        copy.placed = true;
    }

    /**
     * Gives the synced O_TMPFILE copy-up {@code fd} its name {@code target}, keeping the parent's
     * timestamps. If something is in the way (which a rename would replace), through a named
     * temporary file in the workdir and a rename, as before.
     */
    private void linkIntoPlace(int fd, String target, String parent) {
        intoPlace(parent, () -> {
            if (C.linkat(Native.AT_FDCWD, procPath(fd), Native.AT_FDCWD, target, Native.AT_SYMLINK_FOLLOW) == 0) {
                return;
            }
            int e = Native.errno();
            if (e != Errno.EEXIST) {
                throw ErrnoException.of(e, "linkat", target);
            }
            String tmp = fs.tmpName();
            Native.check(C.linkat(Native.AT_FDCWD, procPath(fd), Native.AT_FDCWD, tmp, Native.AT_SYMLINK_FOLLOW),
                    "linkat", tmp);
            if (C.rename(tmp, target) != 0) {
                int re = Native.errno();
                C.unlink(tmp);
                throw ErrnoException.of(re, "rename", target);
            }
        });
    }

    /** Runs {@code place} (which makes a copy-up's name in {@code parent}), keeping the parent's times. */
    private void intoPlace(String parent, Runnable place) {
        OverlayFs.Scratch s = scratch.get();
        String up = fs.up(parent);
        boolean haveTimes = C.fstatat(Native.AT_FDCWD, up, s.st2, NOFOLLOW) == 0;
        place.run();
        if (haveTimes) {
            // copy-up is not a change the user made in the parent (chown -R must not touch mtimes)
            Stat.copyTimes(s.st2, s.times);
            C.utimensat(Native.AT_FDCWD, up, s.times, NOFOLLOW);
        }
    }

    /**
     * Copies regular file {@code src} (lstat {@code st}) to a new file of the workdir: data (holes
     * kept), owner, xattrs, the origin value {@code origin} (if not null), mode and times, then
     * syncs it if it copied data, as the kernel overlay syncs a copy-up before it becomes visible.
     * The copy is an O_TMPFILE file where the workdir has them ({@link #tmpfileCopyUp}) and
     * {@code named} is null, else the file {@code named} (a new {@link OverlayFs#tmpName} if null).
     * It touches nothing outside the workdir, so it needs no lock of the overlay's: the caller
     * names it ({@link #place}) or throws it away ({@link FileCopy#close}).
     *
     * <p>Each step costs a system call, and a copy-up of a small file is little else, so steps
     * that would change nothing are left out: the owner when the new file has it already, the
     * mode when it was created with it, the size when the data copied ends where the file does.
     *
     * @throws ErrnoException what a step fails with (ENOSPC, EIO...); nothing is left behind then
     */
    FileCopy copyFile(String src, Pointer st, boolean data, byte[] origin, String named) {
        int in = Native.check(LowerLayer.open(src, Native.O_RDONLY | Native.O_CLOEXEC | Native.O_NOFOLLOW), "open", src);
        try {
            int mode = Stat.mode(st) & 07777;
            String dst = named != null || !tmpfileCopyUp ? (named != null ? named : fs.tmpName()) : null;
            // what errors name: an O_TMPFILE copy has no path
            String what = dst != null ? dst : work + " (O_TMPFILE copy of " + src + ")";
            // created with its permission bits (the umask may take some: then chmod below), as the
            // kernel creates its copy-up temp file; nobody but us can reach it in the workdir
            int out = dst == null
                    ? Native.check(C.open(work, Native.O_TMPFILE | Native.O_WRONLY | Native.O_CLOEXEC, mode & 0777),
                            "open O_TMPFILE", work)
                    : Native.check(C.open(dst, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC,
                            mode & 0777), "create", dst);
            FileCopy copy = new FileCopy(out, dst);
            try {
                copy.origin = fill(in, out, st, data, origin, src, what);
                return copy;
            } catch (RuntimeException e) {
                copy.close();
                throw e;
            }
        } finally {
            C.close(in);
        }
    }

    /** {@link #copyFile}'s work once both files are open; @return {@code origin} if it was recorded */
    private byte[] fill(int in, int out, Pointer st, boolean data, byte[] origin, String src, String named) {
        int mode = Stat.mode(st) & 07777;
        long size = Stat.size(st);
        long end = 0;
        if (data && size > 0) {
            // a file with as many blocks as bytes has no hole: no need to look for them
            end = copyData(in, out, size, src, Stat.dev(st), Stat.blocks(st) * 512 >= size);
        }
        if (data && end != size) {
            Native.check(C.ftruncate(out, size), "ftruncate", named); // a hole at the end
        }
        // the owner before the xattrs: chown(2) drops security.capability (and set-id bits,
        // which the chmod below restores); the kernel overlay keeps both
        if (Stat.uid(st) != OverlayFs.OWN_UID || Stat.gid(st) != workGid) {
            Native.check(C.fchown(out, Stat.uid(st), Stat.gid(st)), "fchown", named);
        }
        copyXattrs(in, out, named);
        byte[] recorded = null;
        if (origin != null && C.fsetxattr(out, OriginXattr.NAME, origin, origin.length, 0) == 0) {
            recorded = origin;
        }
        if ((mode & 07000) != 0 || UMASK < 0 || (mode & UMASK) != 0) {
            Native.check(C.fchmod(out, mode), "fchmod", named);
        }
        OverlayFs.Scratch s = scratch.get();
        Stat.copyTimes(st, s.times);
        Native.check(C.futimens(out, s.times), "futimens", named);
        if (data && size > 0 && syncs) {
            // the kernel overlay syncs copied-up data before it becomes visible; a copy-up
            // without data (an empty file, or one opened with O_TRUNC) it does not sync
            // (Linux 6.18, default fsync mode: 100 chmods of empty lower files, 0 fsyncs;
            // of 2-byte ones, 100; 100 ": > file" of 2-byte ones, 0)
            Native.check(C.fsync(out), "fsync", named);
        }
        if (origin != null && C.fstat(out, s.originSt) == 0) {
            fs.originRecorded(Stat.ino(s.originSt)); // a deleted file's "no origin" for a reused number
        }
        return recorded;
    }

    /**
     * Copies the data segments of {@code in} (skipping holes, unless {@code dense}: it has none) in
     * the kernel, without a buffer ({@code dev}: the base file's device). @return where the last
     * data copied ends
     */
    private long copyData(int in, int out, long size, String src, long dev, boolean dense) {
        Pointer offs = scratch.get().off;
        long pos = 0;
        long end = 0;
        while (pos < size) {
            long dataStart = pos;
            long dataEnd = size;
            if (!dense) {
                dataStart = C.lseek(in, pos, Native.SEEK_DATA);
                if (dataStart < 0) {
                    int e = Native.errno();
                    if (e == Errno.ENXIO) { // only a hole remains
                        return end;
                    }
                    dataStart = pos; // SEEK_DATA unsupported: copy everything
                }
                dataEnd = C.lseek(in, dataStart, Native.SEEK_HOLE);
                if (dataEnd < 0) {
                    dataEnd = size;
                }
            }
            long p = dataStart;
            if (dev == copyRangeRefusedDev) {
                end = copyWithBuffer(in, out, p, dataEnd, src);
                p = dataEnd;
            }
            while (p < dataEnd) {
                offs.putLong(0, p);
                offs.putLong(8, p);
                long n = C.copy_file_range(in, offs, out, offs.slice(8), Math.min(dataEnd - p, WRITEBACK_CHUNK), 0);
                if (n < 0) {
                    int e = Native.errno();
                    if (e == Errno.EXDEV || e == Errno.ENOSYS || e == Errno.EINVAL || e == Errno.EOPNOTSUPP) {
                        if (e != Errno.EINVAL) { // EINVAL may be this file's alone: asked again next time
                            copyRangeRefusedDev = dev;
                        }
                        end = copyWithBuffer(in, out, p, dataEnd, src);
                        break;
                    }
                    throw ErrnoException.of(e, "copy_file_range", src);
                }
                if (n == 0) {
                    break; // file shrank under us
                }
                p += n;
                end = p;
                if (p < size && syncs) {
                    // start writing back what is copied while the rest is copied, so that the fsync
                    // that ends the copy-up waits for the last chunk rather than the whole file
                    C.sync_file_range(out, p - n, n, SYNC_FILE_RANGE_WRITE);
                }
            }
            pos = dataEnd;
        }
        return end;
    }

    /** Bytes copied per read and write where copy_file_range is refused (see {@link OverlayFs.Scratch#copyBuffer}). */
    static final int BUFFER_SIZE = 1 << 20;

    /** Bytes copied per copy_file_range call during a copy-up, each then handed to writeback. */
    private static final long WRITEBACK_CHUNK = 8L << 20;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    /** @return where the data copied ends */
    private long copyWithBuffer(int in, int out, long from, long to, String src) {
        Pointer buf = scratch.get().copyBuffer();
        long p = from;
        while (p < to) {
            long n = Native.check(C.pread(in, buf, Math.min(BUFFER_SIZE, to - p), p), "pread", src);
            if (n == 0) {
                return p;
            }
            long w = 0;
            while (w < n) {
                w += Native.check(C.pwrite(out, buf.slice(w), n - w, p + w), "pwrite", src);
            }
            p += n;
        }
        return p;
    }

    void copySymlink(String src, String dst) {
        Pointer buf = scratch.get().linkTarget;
        long n = Native.check(C.readlink(src, buf, 4096), "readlink", src);
        String target = buf.getString(0, (int) n, BYTES);
        Native.check(C.symlink(target, dst), "symlink", dst);
    }

    /** Owner, mode, xattrs, times (in that order: chown clears set-id bits, times go last). */
    void copyMeta(String src, String dst, Pointer st, boolean chmod) {
        copyXattrsPath(src, dst);
        Native.check(C.lchown(dst, Stat.uid(st), Stat.gid(st)), "lchown", dst);
        if (chmod) {
            Native.check(C.fchmodat(Native.AT_FDCWD, dst, Stat.mode(st) & 07777, 0), "chmod", dst);
        }
        Pointer times = scratch.get().times;
        Stat.copyTimes(st, times);
        Native.check(C.utimensat(Native.AT_FDCWD, dst, times, NOFOLLOW), "utimensat", dst);
    }

    /** A file's xattrs as copy-up reads or writes them: through its descriptor, or its path (not following a link). */
    private interface XattrAccess {
        long list(byte[] buf);

        long get(String name, byte[] value);

        int set(String name, byte[] value, long size);

        static XattrAccess of(int fd) {
            return new XattrAccess() {
                public long list(byte[] buf) {
                    return C.flistxattr(fd, buf, buf == null ? 0 : buf.length);
                }

                public long get(String name, byte[] value) {
                    return C.fgetxattr(fd, name, value, value == null ? 0 : value.length);
                }

                public int set(String name, byte[] value, long size) {
                    return C.fsetxattr(fd, name, value, size, 0);
                }
            };
        }

        static XattrAccess of(String path) {
            return new XattrAccess() {
                public long list(byte[] buf) {
                    return C.llistxattr(path, buf, buf == null ? 0 : buf.length);
                }

                public long get(String name, byte[] value) {
                    return C.lgetxattr(path, name, value, value == null ? 0 : value.length);
                }

                public int set(String name, byte[] value, long size) {
                    return C.lsetxattr(path, name, value, size, 0);
                }
            };
        }
    }

    private void copyXattrs(int in, int out, String dst) {
        copyXattrs(XattrAccess.of(in), XattrAccess.of(out), dst);
    }

    private void copyXattrsPath(String src, String dst) {
        copyXattrs(XattrAccess.of(src), XattrAccess.of(dst), dst);
    }

    private static void copyXattrs(XattrAccess from, XattrAccess to, String dst) {
        byte[] list = XattrLists.listBytes(from.list(null), from::list);
        for (String name : XattrLists.names(list)) {
            if (!shouldCopy(name)) {
                continue;
            }
            long size = from.get(name, null);
            if (size < 0) {
                continue;
            }
            byte[] v = new byte[(int) size];
            long n = from.get(name, v);
            if (n >= 0) {
                setXattrOrIgnore(to.set(name, v, n), name, dst);
            }
        }
    }

    private static boolean shouldCopy(String name) {
        // the lower layer's own overlay xattrs are not ours to copy; escaped ones are user data
        return !OverlayXattrs.isPrivate(name) || name.startsWith(OverlayXattrs.ESCAPED_PREFIX);
    }

    private static void setXattrOrIgnore(int rc, String name, String dst) {
        if (rc < 0) {
            int e = Native.errno();
            // like the kernel, copy-up does not fail on xattrs the upper fs cannot store
            if (e != Errno.EOPNOTSUPP && !(e == Errno.EPERM && name.startsWith("security."))) {
                throw ErrnoException.of(e, "setxattr " + name, dst);
            }
        }
    }

    /** Removes a copy (or other entry) left in the workdir by a step that failed; never fails. */
    static void removeQuietly(String path) {
        if (C.unlink(path) != 0 && Native.errno() == Errno.EISDIR) {
            C.rmdir(path);
        }
    }
}
