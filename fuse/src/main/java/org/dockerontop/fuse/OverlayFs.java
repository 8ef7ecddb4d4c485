package org.dockerontop.fuse;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.format.OriginXattr;
import org.dockerontop.overlay.format.OverlayXattrs;
import org.dockerontop.overlay.format.UpperFormat;
import org.dockerontop.overlay.format.UpperFormat.WhiteoutForm;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.dockerontop.overlay.nativeio.LibC;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * The overlay: one read-only lower directory merged under a writable upper directory, with the
 * kernel overlayfs semantics and upper format (no redirect_dir, no index).
 *
 * <p>Paths are FUSE paths ({@code "/"} or {@code "/a/b"}). Every method fails by throwing
 * {@link ErrnoException}; the FUSE binding turns that into {@code -errno} in one place.
 *
 * <p>Concurrency: namespace changes (create, unlink, rename, copy-up into a directory) lock the
 * parent directory's lock stripe; ancestors are copied up before any lock is taken, so no thread
 * ever holds two stripes except rename and exchange, which take theirs in index order. A regular
 * file's copy-up copies its data into the workdir first and takes the stripe only to give the copy
 * its name (as the kernel overlay copies into a workdir tmpfile), except for small files a rename
 * copies under its stripes.
 */
final class OverlayFs {
    /** The visible entry is in the upper layer. */
    static final int UPPER = 1;
    /** The visible entry comes from the lower layer (alone, or merged under an upper directory). */
    static final int LOWER = 2;
    /** The upper layer holds a whiteout here: nothing is visible. */
    static final int WHITEOUT = 4;
    /** The lower layer has an entry here, so removing the visible one needs a whiteout. */
    static final int BENEATH = 8;

    private static final LibC C = Native.LIBC;
    /** File names are held as byte strings: one char per byte (see LibC). */
    private static final java.nio.charset.Charset BYTES = java.nio.charset.StandardCharsets.ISO_8859_1;
    private static final int NOFOLLOW = Native.AT_SYMLINK_NOFOLLOW;

    /** The prefix of lower paths ({@link LowerLayer#path}: the working directory). */
    private final String lower;
    private final String lowerName;
    private final String upper;
    private final String work;
    /** Makes the copies (see {@link #copyUp} for when, and what the overlay notes about them). */
    private final CopyUp copier;
    /**
     * False on a volatile mount (like the kernel overlay's {@code volatile} option): nothing is
     * synced, neither a copy-up nor on FSYNC/FSYNCDIR, so a crash may lose changes; the workdir
     * carries the kernel's marker of that ({@link VolatileMarker}).
     */
    private final boolean syncs;
    /** Whether the kernel enforces POSIX ACLs, and what that asks of new entries. */
    private final PosixAcls acls;
    private final WhiteoutForm whiteoutForm;
    private final HandleTable handles = new HandleTable();
    private final ConcurrentHashMap<String, DirState> dirs = new ConcurrentHashMap<>();
    /**
     * Counts {@link #invalidate} calls, so that a state {@link #dir} found on disk before a copy-up
     * or rename it raced with is not kept after that change forgot the states it made stale.
     */
    private final AtomicLong dirChanges = new AtomicLong();
    private final ReentrantLock[] stripes = new ReentrantLock[64];
    private final AtomicLong tmpCounter = new AtomicLong();
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    /**
     * Unlinked files that are still open: libfuse renames them to {@code .fuse_hidden*} names
     * until the last close. We keep them out of the upper directory (in the workdir, or in place in
     * the lower layer) and map the hidden name to the real file.
     */
    private final ConcurrentHashMap<String, String> hidden = new ConcurrentHashMap<>();
    /** Read-only handles on lower regular files, by overlay path, to switch over on copy-up. */
    private final ConcurrentHashMap<String, java.util.List<Handle>> lowerOpen = new ConcurrentHashMap<>();
    /** Files made with O_TMPFILE, open and nameless; their reserved paths resolve to nothing else. */
    private final UnnamedFiles unnamed = new UnnamedFiles();
    static final String HIDDEN_PREFIX = ".fuse_hidden";
    /** Where copied-up entries came from, and the inode numbers that makes them report. */
    private final Origins origins;

    /** What a directory's children resolve against. Immutable; replaced on change. */
    static final class DirState {
        final boolean upper;
        final boolean lower;
        /**
         * Its upper directory is known to carry {@code trusted.overlay.impure}. Only ever set (the
         * mark is never taken off while mounted); a directory that moves gets a new state.
         */
        volatile boolean impure;

        DirState(boolean upper, boolean lower) {
            this.upper = upper;
            this.lower = lower;
        }
    }

    /** Per-thread native buffers so that no call allocates native memory. */
    static final class Scratch {
        final Pointer st = Native.allocate(Stat.SIZE);
        final Pointer st2 = Native.allocate(Stat.SIZE);
        final Pointer parentSt = Native.allocate(Stat.SIZE);
        final Pointer times = Native.allocate(32);
        final Pointer off = Native.allocate(16);
        final Pointer originSt = Native.allocate(Stat.SIZE);
        /** getdents64 buffer of a {@link Listing}, made on first use. */
        private Pointer dirents;

        /** The entries {@link #dirents} holds, copied to the heap to be parsed there. */
        byte[] direntBytes;

        Pointer dirents() {
            if (dirents == null) {
                dirents = Native.allocate(Listing.DIRENTS_SIZE);
                direntBytes = new byte[Listing.DIRENTS_SIZE];
            }
            return dirents;
        }

        /**
         * The buffer a copy-up copies data through where the kernel refuses copy_file_range
         * between the layers (a base on another filesystem: EXDEV), allocated on first use.
         * Native memory is freed only by the garbage collector: one per copy-up grew the server
         * by 1 MiB per copy-up until a collection.
         */
        Pointer copyBuffer() {
            if (copyBuffer == null) {
                copyBuffer = Native.allocate(CopyUp.BUFFER_SIZE);
            }
            return copyBuffer;
        }

        private Pointer copyBuffer;
        /** A symbolic link's target, read to copy the link up (PATH_MAX and its NUL). */
        final Pointer linkTarget = Native.allocate(4097);

        /** A rename's source, kept through the copy-ups of its parents (which use the others). */
        final Pointer renameSt = Native.allocate(Stat.SIZE);
        final byte[] originValue = new byte[256];
        /** Set when this thread copied a non-directory up during the current request. */
        boolean copiedUp;
        /** The lower-only directory the last getattr on this thread answered for, if any (libfuse's loop). */
        String lowerDirSeen;
        /** A non-directory with several links the last getattr answered for, and its inode (libfuse's loop). */
        String multiLinkSeen;
        long multiLinkIno;
        /** The upper inode number of the last upper non-directory {@link OverlayFs#lookup} found. */
        long upperIno;
        /** What {@link OverlayFs#sharedInode} answers for the last getattr or fgetattr. */
        long sharedIno;
        /** The inode whose link count the current request changed (link, unlink), or 0 (libfuse's loop). */
        long linkCountChanged;
        /** The source node of the LINK request being served (set by the loop), else 0. */
        long linkSource;
        /** The node id of the request being served (set by the loop before each request). */
        long requestNode;
        /** What the request being served gives up during a long wait (set by the loop), or {@link LongWait#NONE}. */
        LongWait longWait = LongWait.NONE;
        /**
         * The SETXATTR being served sets an ACL that must clear the set-group-ID bit (the kernel's
         * FUSE_SETXATTR_ACL_KILL_SGID, see {@link SetxattrRequest}; set by the loop).
         */
        boolean killSgid;
        /** The multi-linked file whose data the current request is changing, or null. */
        HardLinks.LinkedFile change;
        /** No other request was changing that file's data when this one began. */
        boolean changeAlone;
        /** Its other nodes' cached data is still to be dropped once the request is answered. */
        boolean changePending;
        /** This request still counts in {@link HardLinks.LinkedFile#changing}. */
        boolean changeCounted;
    }

    /**
     * Files the kernel holds under several nodes, and what it must be told when one changes: for
     * libfuse's loop, whose nodes are per name. Null once the loop says it gives every name of a
     * file one node ({@link #oneNodePerUpperInode}), so that nothing of it is called there. Set
     * before the mount is served; the workers that read it start after (Thread.start orders it).
     */
    private HardLinks links = new HardLinks(this, scratch);

    /**
     * What a request may give up while it waits long inside the overlay (a copy-up's data copy, or
     * the wait for another copy-up of the same file), so that unrelated requests need not wait for
     * it: our loop's node read lock, traded for a pin of the node ({@link NodeLocks#pin}).
     * {@link #begin} and {@link #end} come in pairs, never nested; neither fails.
     */
    interface LongWait {
        /** Gives nothing up: libfuse's loop, and requests that hold no node lock. */
        LongWait NONE = new LongWait() {
            @Override
            public void begin() {
            }

            @Override
            public void end() {
            }
        };

        void begin();

        void end();
    }

    /** What the loop serving the mount can make the kernel drop (see {@link FuseLoop}). */
    interface KernelCache {
        /**
         * Drops a node's cached attributes; takes no page or directory lock, so it is safe inside a
         * request, before its reply. 0, or -errno (-ENOENT: no such node).
         */
        int dropAttributes(long node);

        /** Drops a node's cached attributes and data now; waits for that inode's locked pages. */
        int dropData(long node);

        /** Drops a node's cached attributes and data soon, on a thread that serves no requests. */
        void dropDataLater(long node);

        /**
         * Lets the calling worker wait for page locks before it answers, starting another worker
         * if it would leave none free to serve the requests those locks wait for; false only when
         * no more may be started. Paired with {@link #endWait}.
         */
        boolean tryWait();

        void endWait();
    }

    volatile KernelCache kernelCache;

    /** The node ids the kernel holds paths under, where the loop knows them (see {@link #nodeIds}). */
    interface NodeIds {
        /** The node the kernel holds for {@code path} ("/a/b"), or 0 if none. Takes no lock a request holds. */
        long of(String path);
    }

    /**
     * Set by a loop that knows which node the kernel holds each path under ({@link NodeTable}), so
     * that a directory whose attributes a request changed without naming it (a copy-up inside it
     * marks it impure; its own copy-up changes its nlink) gets them dropped; else null, and
     * {@link #lowerDirNodes} remembers what it can. Set by {@link #oneNodePerUpperInode}.
     */
    private volatile NodeIds nodeIds;
    /** How the kernel serves open files (set by {@link FuseLoop} once mounted; null: all by us). */
    volatile Passthrough passthrough;

    /**
     * Did the current request (on this thread) copy a non-directory up? Clears the flag. A copy-up
     * gives the file a new inode number, which the kernel has cached and must be told to drop.
     */
    boolean takeCopiedUp() {
        Scratch s = scratch.get();
        boolean c = s.copiedUp;
        s.copiedUp = false;
        return c;
    }

    /** Lower-only directories recorded per generation: at ~110 bytes each, at most ~7 MiB. */
    private static final int DIR_NODES_GENERATION = 1 << 15;

    /** Before a LOOKUP request: forget what the previous request on this thread saw. */
    void beginLookup() {
        Scratch s = scratch.get();
        s.lowerDirSeen = null;
        s.multiLinkSeen = null;
    }


    /**
     * The node id the kernel knows each looked-up lower-only directory by (see {@link #lookupReplied}).
     * Once such a directory is copied up it becomes merged and its nlink changes to 1 (as the
     * kernel overlay reports), which the kernel's cached attributes must be told about. The most
     * recent ones only: the kernel looks an entry up again once entry_timeout (60 s) has passed,
     * which records it again.
     */
    private final RecentMap<String, Long> lowerDirNodes = new RecentMap<>(DIR_NODES_GENERATION);

    /**
     * While a LOOKUP is answered: the node id libfuse gave the entry. Recorded for a lower-only
     * directory, whose attributes must be dropped when it is copied up. A node id libfuse has
     * since forgotten and reused only costs the kernel one extra GETATTR.
     */
    void lookupReplied(long node) {
        Scratch s = scratch.get();
        String dir = s.lowerDirSeen;
        if (dir != null && nodeIds == null) {
            lowerDirNodes.put(dir, node);
        }
        if (links != null) {
            links.lookupReplied(s, node);
        }
    }

    /**
     * Drops the kernel's cached attributes of the node it holds {@code dir} under, if the loop
     * knows it ({@link #nodeIds}); no page lock is taken, so this is safe before any reply.
     */
    private void dropAttributes(String dir) {
        NodeIds ids = nodeIds;
        KernelCache kc = kernelCache;
        if (ids == null || kc == null) {
            return;
        }
        long node = ids.of(dir);
        if (node != 0) {
            kc.dropAttributes(node);
        }
    }

    /** The calling worker's per-request state, for the loop to set {@link Scratch#requestNode} in. */
    Scratch requestState() {
        return scratch.get();
    }

    /**
     * Before a request changes the data of the file open as {@code h}, which has several names.
     * Call {@link #dataChanged} once it has, before the reply; the loop calls {@link #endDataChange}
     * after it.
     */
    void beginDataChange(Handle h) {
        beginDataChange(h.ino);
    }

    private void beginDataChange(long ino) {
        if (links != null) {
            links.beginDataChange(ino);
        }
    }

    /** Before the reply to a request that changed a multi-linked file's data (see {@link HardLinks#dataChanged}). */
    void dataChanged() {
        if (links != null) {
            links.dataChanged();
        }
    }

    /** After the reply (called by the loop for every request): finishes {@link #dataChanged}. */
    void endDataChange() {
        if (links != null) {
            links.endDataChange();
        }
    }

    /** After the kernel sent FORGET for {@code node} with {@code count} lookups (see {@link HardLinks#forgotten}). */
    void forgotten(long node, long count) {
        if (links != null) {
            links.forgotten(node, count);
        }
    }

    /** After a request: the names whose cached nlink became wrong, each with its parent node. */
    void takeStaleLinks(HardLinks.StaleSink sink) {
        if (links != null) {
            links.takeStaleLinks(sink);
        }
    }

    /** After a LOOKUP under node {@code parent}: ends what {@link #beginLookup} began. */
    void endLookup(long parent) {
        Scratch s = scratch.get();
        s.lowerDirSeen = null;
        if (links != null) {
            links.endLookup(s, parent);
        }
    }

    /**
     * Whether the request just answered on the thread whose state is {@code s} left nothing for
     * {@link #endDataChange}, {@link #takeCopiedUp} and {@link #takeStaleLinks} to do, as nearly
     * every request does: the loop then skips them.
     */
    static boolean settled(Scratch s) {
        return s.change == null && !s.copiedUp && s.linkCountChanged == 0;
    }

    /** POSIX ACLs on this mount (granted, or not, by the INIT reply). */
    PosixAcls acls() {
        return acls;
    }

    /** Creates a new entry at a given real path (a temporary one in the workdir, or in place). */
    interface Maker {
        /** @param umask the permission bits the new entry must not get (see {@link PosixAcls#umaskFor}) */
        void make(String realPath, int umask);
    }

    OverlayFs(LowerLayer lower, String upper, String work, WhiteoutForm whiteoutForm, boolean syncs, PosixAcls acls) {
        this.syncs = syncs;
        this.acls = acls;
        this.lower = lower.path;
        this.lowerName = lower.name;
        this.upper = upper;
        this.work = work;
        this.whiteoutForm = whiteoutForm;
        this.origins = new Origins(this.lower, scratch);
        this.copier = new CopyUp(this, work, syncs, scratch);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
        dirs.put("/", new DirState(true, true));
        if (whiteoutForm == WhiteoutForm.XATTR) {
            UpperFormat.markXattrWhiteouts(upper);
        }
        ColdStart.load(Listing.class);
    }

    /** The lower and upper directories, by name. */
    String[] layers() {
        return new String[] {lowerName, upper};
    }

    HandleTable handles() {
        return handles;
    }

    // ---------------------------------------------------------------- paths and resolution

    String up(String p) {
        if (!hidden.isEmpty()) {
            String h = hidden.get(p);
            if (h != null) {
                return h;
            }
        }
        return p.length() == 1 ? upper : LongPaths.shorten(upper + p);
    }

    String lo(String p) {
        if (!hidden.isEmpty()) {
            String h = hidden.get(p);
            if (h != null) {
                return h;
            }
        }
        return p.length() == 1 ? lower : LongPaths.shorten(lower + p);
    }

    static boolean isHiddenName(String p) {
        return p.startsWith(HIDDEN_PREFIX, p.lastIndexOf('/') + 1);
    }

    static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i <= 0 ? "/" : p.substring(0, i);
    }

    private static boolean visible(int code) {
        return (code & (UPPER | LOWER)) != 0;
    }

    /**
     * Resolves {@code p}, leaving the visible entry's attributes (as the kernel overlay reports
     * them) in {@code st}. Returns a combination of {@link #UPPER}, {@link #LOWER},
     * {@link #WHITEOUT}, {@link #BENEATH}, or 0 if nothing is there. {@link #BENEATH} is computed
     * for upper non-directories only when {@code needBeneath}.
     */
    int lookup(String p, Pointer st, boolean needBeneath) {
        if (p.length() == 1) {
            Native.check(C.fstatat(Native.AT_FDCWD, upper, st, NOFOLLOW), "lstat", upper);
            Stat.setNlink(st, 1);
            return UPPER | LOWER | BENEATH;
        }
        if (unnamed.owns(p)) {
            throw ErrnoException.of(Errno.ENOENT, "lookup", p); // never a name in any layer
        }
        if (!hidden.isEmpty()) {
            String h = hidden.get(p);
            if (h != null) {
                Native.check(C.fstatat(Native.AT_FDCWD, h, st, NOFOLLOW), "lstat", h);
                if (h.startsWith(work)) {
                    scratch.get().upperIno = Stat.ino(st);
                    origins.apply(h, -1, st);
                    unlinkedNlink(h, st);
                    return UPPER;
                }
                return LOWER;
            }
        }
        DirState ps = dir(parent(p));
        Scratch s = scratch.get();
        if (ps.upper) {
            String u = up(p);
            if (C.fstatat(Native.AT_FDCWD, u, st, NOFOLLOW) == 0) {
                if (UpperFormat.isWhiteout(u, st)) {
                    return WHITEOUT;
                }
                boolean dir = Stat.isDir(st);
                if (!dir) {
                    s.upperIno = Stat.ino(st);
                    origins.apply(u, -1, st);
                }
                if (!ps.lower) {
                    return UPPER;
                }
                if (!dir && !needBeneath) {
                    return UPPER;
                }
                String l = lo(p);
                if (C.fstatat(Native.AT_FDCWD, l, s.st2, NOFOLLOW) != 0 || UpperFormat.isWhiteout(l, s.st2)) {
                    return UPPER; // (a whiteout of the lower layer's own is nothing there, see below)
                }
                if (dir && Stat.isDir(s.st2) && !UpperFormat.isOpaque(u)) {
                    // a merged directory: the kernel reports the lower (origin) inode and nlink 1
                    Stat.setIno(st, Stat.ino(s.st2));
                    Stat.setNlink(st, 1);
                    return UPPER | LOWER | BENEATH;
                }
                return UPPER | BENEATH;
            }
            int e = Native.errno();
            if (e != Errno.ENOENT) {
                throw ErrnoException.of(e, "lstat", u);
            }
        }
        if (ps.lower) {
            String l = lo(p);
            if (C.fstatat(Native.AT_FDCWD, l, st, NOFOLLOW) == 0) {
                // a whiteout in the lower layer (a base that was itself an overlay's layer) hides
                // itself from lookups, as the kernel's does (ovl_lookup_single); listings show it
                return UpperFormat.isWhiteout(l, st) ? 0 : LOWER | BENEATH;
            }
            int e = Native.errno();
            if (e != Errno.ENOENT) {
                throw ErrnoException.of(e, "lstat", l);
            }
        }
        return 0;
    }

    /** See {@link Origins#apply} (for {@link Listing}). */
    void applyOrigin(String path, int fd, Pointer st) {
        origins.apply(path, fd, st);
    }

    /** See {@link Origins#recorded} (for {@link CopyUp}). */
    void originRecorded(long ino) {
        origins.recorded(ino);
    }

    /**
     * An unlinked-but-open file kept in the workdir: its name there is not a link the overlay
     * shows, so (like the kernel, which reports 0 for an unlinked file) it does not count.
     */
    private void unlinkedNlink(String real, Pointer st) {
        if (real != null && real.startsWith(work)) {
            Stat.setNlink(st, Math.max(0, Stat.nlink(st) - 1));
        }
    }

    /**
     * Marks upper directory {@code dir} (an overlay path) as holding entries with origins (readdir
     * then reports their d_ino); a directory already marked costs nothing.
     */
    private void setImpure(String dir) {
        DirState d = dirs.get(dir);
        if (d != null && d.impure) {
            return;
        }
        String u = up(dir);
        boolean marked = UpperFormat.hasXattr(u, OriginXattr.IMPURE);
        if (!marked) {
            byte[] y = {'y'};
            marked = C.lsetxattr(u, OriginXattr.IMPURE, y, 1, 0) == 0;
            if (marked) {
                // the xattr may have moved the directory's xattrs to a block of their own on
                // ext4 (st_blocks 8 -> 16: du of a package tree 4 KiB apart, real-dir-blocks.sh)
                dropAttributes(dir);
            }
        }
        if (marked && d != null) {
            d.impure = true;
        }
    }

    /** Is upper directory {@code dir} known to be marked impure (without asking the disk)? */
    private boolean isMarkedImpure(String dir) {
        DirState d = dirs.get(dir);
        return d != null && d.impure;
    }

    /**
     * Is there nothing at {@code p} in the upper layer (no entry, no whiteout)? Fails on errors
     * other than ENOENT.
     */
    private boolean upperAbsent(String p) {
        String u = up(p);
        if (C.fstatat(Native.AT_FDCWD, u, scratch.get().st2, NOFOLLOW) == 0) {
            return false;
        }
        int e = Native.errno();
        if (e != Errno.ENOENT) {
            throw ErrnoException.of(e, "lstat", u);
        }
        return true;
    }

    /** Is upper directory {@code dir} (real path {@code u}) marked impure? */
    private boolean isImpure(String dir, String u) {
        DirState d = dirs.get(dir);
        if (d != null && d.impure) {
            return true;
        }
        boolean impure = UpperFormat.hasXattr(u, OriginXattr.IMPURE);
        if (impure && d != null) {
            d.impure = true;
        }
        return impure;
    }

    /** The state of directory {@code p}; ENOENT if it is not there, ENOTDIR if not a directory. */
    DirState dir(String p) {
        DirState d = dirs.get(p);
        if (d != null) {
            return d;
        }
        long changes = dirChanges.get();
        Pointer st = scratch.get().parentSt;
        int code = lookup(p, st, false);
        if (!visible(code)) {
            throw ErrnoException.of(Errno.ENOENT, "lookup", p);
        }
        if (!Stat.isDir(st)) {
            throw ErrnoException.of(Errno.ENOTDIR, "lookup", p);
        }
        d = new DirState((code & UPPER) != 0, (code & LOWER) != 0);
        dirs.put(p, d);
        // the kernel serializes requests within one directory only: a copy-up of p or of an
        // ancestor (made for an entry further down) may have renamed it meanwhile; then what we
        // found is used for this request (as if it came first) but not kept
        if (dirChanges.get() != changes) {
            dirs.remove(p, d);
        }
        return d;
    }

    /** Forgets cached directory states at and below {@code p}. */
    private void invalidate(String p) {
        dirChanges.incrementAndGet(); // first: a state found before this change is then not kept
        dirs.remove(p);
        String prefix = p + "/";
        dirs.keySet().removeIf(k -> k.startsWith(prefix));
        if (p.length() == 1) {
            dirs.put("/", new DirState(true, true));
        }
    }

    private int resolve(String p, Pointer st) {
        int code = lookup(p, st, false);
        if (!visible(code)) {
            throw ErrnoException.of(Errno.ENOENT, "lookup", p);
        }
        return code;
    }

    /**
     * Is the visible entry {@code p} an upper one (else a lower one)?
     *
     * @throws ErrnoException ENOENT if there is none
     */
    boolean isUpper(String p) {
        return (resolve(p, scratch.get().st) & UPPER) != 0;
    }

    /** The real path of the visible entry. */
    String real(String p) {
        return isUpper(p) ? up(p) : lo(p);
    }

    private ReentrantLock stripe(String dir) {
        return stripes[stripeIndex(dir)];
    }

    private int stripeIndex(String dir) {
        return (dir.hashCode() & 0x7fffffff) % stripes.length;
    }

    /**
     * The stripes of two directories in index order, the one order every caller taking two uses
     * (rename, exchange), so that two of them never wait for each other; the same lock twice if
     * they share one (it is reentrant).
     */
    private ReentrantLock[] stripesOf(String a, String b) {
        int i = stripeIndex(a);
        int j = stripeIndex(b);
        return new ReentrantLock[] {stripes[Math.min(i, j)], stripes[Math.max(i, j)]};
    }

    /** A new name in the workdir, for an entry made there before it is moved into place. */
    String tmpName() {
        return work + "/#dot" + Long.toHexString(tmpCounter.incrementAndGet());
    }

    // ---------------------------------------------------------------- copy-up

    /** Makes sure directory {@code p} exists in the upper layer, copying it (and ancestors) up. */
    void ensureUpperDir(String p) {
        if (dir(p).upper) {
            return;
        }
        copyUp(p, true);
    }

    /**
     * Copies the lower entry at {@code p} to the upper layer (in the workdir, then renamed into
     * place), keeping mode, owner, timestamps, xattrs and holes. Does nothing if it is already up.
     * With {@code data} false, a regular file's contents are not copied (it is about to be
     * truncated to zero). A regular file's data is copied without the parent's stripe (see
     * {@link #copyUpFile}); other entries, and files without data, are copied under it.
     */
    void copyUp(String p, boolean data) {
        String h = hidden.get(p);
        if (h != null) {
            synchronized (hidden) {
                h = hidden.get(p);
                if (h != null && !h.startsWith(work)) {
                    Pointer st = scratch.get().st;
                    Native.check(C.fstatat(Native.AT_FDCWD, h, st, NOFOLLOW), "lstat", h);
                    String tmp = tmpName();
                    try (CopyUp.FileCopy c = copier.copyFile(h, st, data, null, tmp)) {
                        c.keep();
                    }
                    hidden.put(p, tmp);
                }
            }
            return;
        }
        String parent = parent(p);
        ensureUpperDir(parent);
        Pointer st = scratch.get().st;
        if ((resolve(p, st) & UPPER) != 0) {
            return;
        }
        if (data && Stat.isReg(st) && Stat.size(st) > 0) {
            copyUpFile(p, parent, st, true);
            return;
        }
        ReentrantLock lock = stripe(parent);
        lock.lock();
        try {
            if ((resolve(p, st) & UPPER) != 0) {
                return;
            }
            copyUpLocked(p, parent, st, data);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Regular files being copied up by {@link #copyUpOutside}, by overlay path, each with what its
     * copy-up counts down once it is over: a second copy-up of the same file waits for the first
     * and then uses its result, as the kernel's ovl_copy_up_start makes it wait.
     */
    private final ConcurrentHashMap<String, java.util.concurrent.CountDownLatch> copying = new ConcurrentHashMap<>();
    /** {@link #copyUpOutside}'s answer when it copied nothing and its caller must look again. */
    private static final int LOOK_AGAIN = -1;
    /** Copies of one file {@link #copyUpFile} starts before it copies under the parent's stripe. */
    private static final int COPY_ATTEMPTS = 3;

    /**
     * Copies up {@code p}, a regular file found in the lower layer only with lstat {@code st}
     * (the caller has its parent in the upper layer), as the kernel overlay copies up: the data into
     * a file of the workdir without holding the parent's stripe, which only the last step takes, to
     * look again and give the copy its name. So creates, unlinks, renames and copy-ups in the
     * directories sharing that stripe (1 in 64) no longer wait for a copy of maybe gigabytes.
     * If another copy-up of it is under way, waits for it and uses its result. Falls back to
     * copying under the stripe if the lower entry keeps changing under the copies.
     *
     * @return {@link #COPIED_TO_MOVE} with {@link #COPY_ORIGIN}, {@link #COPY_KEPT} if this call
     *         made the copy; 0 if it found one made by another
     * @throws ErrnoException ENOENT if the name went away meanwhile (an unlink); what lstat or the
     *         copy fail with (ENOSPC, EIO...), leaving nothing in the workdir
     */
    private int copyUpFile(String p, String parent, Pointer st, boolean data) {
        for (int attempt = 0; attempt < COPY_ATTEMPTS && Stat.isReg(st); attempt++) {
            int copied = copyUpOutside(p, parent, st, data);
            if (copied != LOOK_AGAIN) {
                return copied;
            }
            if ((resolve(p, st) & UPPER) != 0) {
                return 0;
            }
        }
        ReentrantLock lock = stripe(parent);
        lock.lock();
        try {
            if ((resolve(p, st) & UPPER) != 0) {
                return 0;
            }
            return COPIED_TO_MOVE | copyUpLocked(p, parent, st, data);
        } finally {
            lock.unlock();
        }
    }

    /**
     * One attempt of {@link #copyUpFile}: unless another copy-up of {@code p} is under way (then it
     * waits for it and answers {@link #LOOK_AGAIN}), copies it into the workdir, synced, takes the
     * parent's stripe and looks again: if the name now has an upper entry (another copy-up, or a
     * name change, came first) the copy is thrown away and that entry stands; if the lower entry
     * is another inode than the one copied, {@link #LOOK_AGAIN}; else the copy gets its name there.
     */
    private int copyUpOutside(String p, String parent, Pointer st, boolean data) {
        java.util.concurrent.CountDownLatch mine = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch other = copying.putIfAbsent(p, mine);
        LongWait wait = scratch.get().longWait;
        if (other != null) {
            wait.begin();
            try {
                Uninterruptibly.await(other);
            } finally {
                wait.end();
            }
            return LOOK_AGAIN;
        }
        try {
            String l = lo(p);
            long dev = Stat.dev(st);
            long ino = Stat.ino(st);
            long originIno = keepsOrigin(st) ? ino : -1;
            byte[] originValue = originIno >= 0 ? origins.encode(l) : null;
            CopyUp.FileCopy copy;
            wait.begin();
            try {
                copy = copier.copyFile(l, st, data, originValue, null);
            } finally {
                wait.end();
            }
            try (CopyUp.FileCopy c = copy) {
                ReentrantLock lock = stripe(parent);
                lock.lock();
                try {
                    int code = lookup(p, st, false);
                    if ((code & UPPER) != 0) {
                        return 0;
                    }
                    if (!visible(code)) {
                        throw ErrnoException.of(Errno.ENOENT, "copy-up", p);
                    }
                    if (Stat.ino(st) != ino || Stat.dev(st) != dev || !Stat.isReg(st)) {
                        return LOOK_AGAIN; // the lower layer changed under the copy
                    }
                    return COPIED_TO_MOVE | placeFile(p, parent, c, originIno);
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            copying.remove(p, mine);
            mine.countDown();
        }
    }

    /**
     * The end of a regular file's copy-up, under the parent's stripe, the name still free: notes
     * the origin, marks the parent impure (before the name appears, as ovl_do_copy_up), names the
     * copy, and switches lower handles of {@code p} to it. @return as {@link #copyUpLocked}
     */
    private int placeFile(String p, String parent, CopyUp.FileCopy c, long originIno) {
        if (c.origin != null) {
            origins.remember(new String(c.origin, BYTES), originIno);
        }
        setImpure(parent);
        String u = up(p);
        copier.place(c, u, parent);
        scratch.get().copiedUp = true;
        if (!lowerOpen.isEmpty()) {
            switchToUpper(p, u);
        }
        if (c.origin == null) {
            return 0;
        }
        return originIno > 0 ? COPY_ORIGIN | COPY_KEPT : COPY_ORIGIN;
    }

    /**
     * {@link #copyUp} of {@code p}, found only in the lower layer with lstat {@code st}, by a
     * caller holding the parent's stripe, with the parent already in the upper layer.
     *
     * @return {@link #COPY_ORIGIN} if its origin was recorded, plus {@link #COPY_KEPT} if the copy
     *         (a non-directory) reports the inode number and link count the lower entry did, so
     *         that nothing the kernel caches about it became wrong (the lower entry has one link)
     */
    private int copyUpLocked(String p, String parent, Pointer st, boolean data) {
        String l = lo(p);
        int type = Stat.type(st);
        boolean keepsOrigin = keepsOrigin(st);
        long originIno = keepsOrigin ? Stat.ino(st) : -1;
        byte[] originValue = keepsOrigin ? origins.encode(l) : null;
        if (type == Stat.S_IFREG) {
            try (CopyUp.FileCopy c = copier.copyFile(l, st, data, originValue, null)) {
                return placeFile(p, parent, c, originIno);
            }
        }
        String tmp = tmpName();
        byte[] origin;
        try {
            switch (type) {
                case Stat.S_IFDIR:
                    Native.check(C.mkdir(tmp, 0700), "mkdir", tmp);
                    copier.copyMeta(l, tmp, st, true);
                    origin = origins.set(l, tmp);
                    break;
                case Stat.S_IFLNK:
                    copier.copySymlink(l, tmp);
                    copier.copyMeta(l, tmp, st, false);
                    origin = keepsOrigin ? origins.set(l, tmp) : null;
                    break;
                default:
                    Native.check(C.mknod(tmp, Stat.mode(st), Stat.rdev(st)), "mknod", tmp);
                    copier.copyMeta(l, tmp, st, true);
                    origin = keepsOrigin ? origins.set(l, tmp) : null;
                    break;
            }
            if (origin != null) {
                origins.remember(new String(origin, BYTES), originIno);
            }
            // as ovl_do_copy_up: the parent may now hold a non-pure upper entry, origin or not
            setImpure(parent);
            copier.renameIntoPlace(tmp, up(p), parent);
            if (type != Stat.S_IFDIR) {
                scratch.get().copiedUp = true;
            }
        } catch (RuntimeException e) {
            CopyUp.removeQuietly(tmp);
            throw e;
        }
        if (type == Stat.S_IFDIR) {
            invalidate(p);
            // its nlink is now 1: drop the kernel's cached attributes before the reply, so a
            // stat right after this request cannot see the old count. Only the attributes: an
            // entry invalidation would unhash the directory's dentry, which breaks getcwd() of a
            // process working in it (git: "Unable to read current working directory") and
            // detaches whatever is mounted below it. Under libfuse, whose nodes are not ours to
            // look up, a node looked up too long ago to be in lowerDirNodes shows the old count
            // until attr_timeout.
            if (nodeIds != null) {
                dropAttributes(p);
            } else {
                Long node = lowerDirNodes.remove(p);
                KernelCache kc = kernelCache;
                if (node != null && kc != null) {
                    kc.dropAttributes(node);
                }
            }
        }
        if (origin == null) {
            return 0;
        }
        return originIno > 0 && type != Stat.S_IFDIR ? COPY_ORIGIN | COPY_KEPT : COPY_ORIGIN;
    }

    /**
     * Does a copy-up of the lower entry with lstat {@code st} record an origin? As
     * OriginXattr.originIno, a non-directory with other links keeps no origin inode, and, as on the
     * kernel overlay, no origin at all: its copy-up breaks the association with them.
     */
    private static boolean keepsOrigin(Pointer st) {
        return Stat.isDir(st) || Stat.nlink(st) == 1;
    }

    private static final int COPY_ORIGIN = 1;
    private static final int COPY_KEPT = 2;
    /**
     * Smaller lower files are left to the move to copy under its locks: their copy is over in about
     * a millisecond, shorter than what copying first costs every rename (a second lookup under the
     * parent's stripe: rename-lower's server CPU 0.47-0.51 s -> 0.53-0.58 s for 1,000 small files).
     */
    private static final long COPY_FIRST_MIN_SIZE = 1 << 20;
    /** Marks a copy-up's answer as "copied" (with {@link #COPY_ORIGIN}, {@link #COPY_KEPT}), which alone may be 0. */
    private static final int COPIED_TO_MOVE = 4;

    /**
     * Copies up the source of a rename of {@code from} to {@code to} if the rename would copy it
     * up, so that the caller can do this before it takes the rename's locks, as the kernel overlay
     * copies a rename's source up before lock_rename (ovl_rename). Pass the answer to
     * {@link #rename(String, String, int)}. Nothing where the rename copies nothing or fails
     * before it would copy (see {@link #copyUpToMove}), nor for the same name, a source that is
     * the target's ancestor, or a hidden target name (libfuse's hiding of an unlinked open file).
     *
     * @return 0 if nothing was copied
     * @throws ErrnoException what lstat on the layers or the copy-up fails with (ENOSPC, EIO...),
     *         which is the rename's failure too
     */
    int copyUpToRename(String from, String to) {
        if (from.equals(to) || to.startsWith(from + "/") || isHiddenName(to)) {
            return 0;
        }
        return copyUpToMove(from);
    }

    /**
     * {@link #copyUpToRename} for both sides of a RENAME_EXCHANGE: nothing if a side is a directory
     * that cannot move, one side is in the other, or a side is the hidden name of an unlinked open
     * file, for which the exchange fails before it copies anything (as the kernel's). Pass the
     * answer to {@link #exchange(String, String, int)}.
     *
     * @return 0 if nothing was copied
     * @throws ErrnoException as {@link #copyUpToRename}
     */
    int copyUpToExchange(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        try {
            checkExchangeable(a, b);
        } catch (ErrnoException e) {
            return 0; // the exchange fails the same way, before it would copy
        }
        return copyUpToMove(a) | copyUpToMove(b) << 8;
    }

    /** Is {@code p} the hidden name of an unlinked open file ({@link #hide}, libfuse's loop)? */
    private boolean isHidden(String p) {
        return !hidden.isEmpty() && hidden.containsKey(p);
    }

    /**
     * Copies {@code p} up if it is a non-directory found in the lower layer only; nothing for an
     * upper entry, a directory (a lower one cannot move: EXDEV is the move's to answer), a name
     * that is not there, an unnamed file or the hidden name of an unlinked open file (left to the
     * move). Only files of {@link #COPY_FIRST_MIN_SIZE} and more (regular files), by
     * {@link #copyUpFile}: the data without the parent's stripe, the naming under it, where this
     * looks again (a name change of the parent's entries through another path came first).
     */
    private int copyUpToMove(String p) {
        if (p.length() == 1 || unnamed.owns(p) || isHidden(p)) {
            return 0;
        }
        Scratch s = scratch.get();
        String parent = parent(p);
        // nearly every rename moves an upper file: one lstat says so (a whiteout there is no
        // source at all), without the whiteout and origin checks of a lookup
        if (dir(parent).upper && C.fstatat(Native.AT_FDCWD, up(p), s.renameSt, NOFOLLOW) == 0) {
            return 0;
        }
        if (!lowerNonDirectory(p, s.renameSt) || Stat.size(s.renameSt) < COPY_FIRST_MIN_SIZE) {
            return 0;
        }
        ensureUpperDir(parent);
        return copyUpFile(p, parent, s.renameSt, true);
    }

    /** Is {@code p} a non-directory in the lower layer only (its lstat left in {@code st})? */
    private boolean lowerNonDirectory(String p, Pointer st) {
        int code = lookup(p, st, false);
        return visible(code) && (code & UPPER) == 0 && !Stat.isDir(st);
    }

    // ---------------------------------------------------------------- attributes

    void getattr(String p, Pointer st) {
        Scratch s = scratch.get();
        s.sharedIno = 0;
        if (unnamed.owns(p)) {
            unnamed.stat(p, st);
            return;
        }
        int code = resolve(p, st);
        if (links != null) {
            seen(s, p, code, st);
        }
        if ((code & UPPER) != 0 && !Stat.isDir(st) && Stat.nlink(st) > 1) {
            s.sharedIno = s.upperIno;
        }
    }

    /**
     * For libfuse's loop, whose nodes are per name: what {@link #lookupReplied} and
     * {@link #endLookup} record for the entry {@link #getattr} just answered for.
     */
    private void seen(Scratch s, String p, int code, Pointer st) {
        if ((code & UPPER) == 0 && Stat.isDir(st)) {
            s.lowerDirSeen = p;
        } else if (!Stat.isDir(st) && (Stat.nlink(st) > 1 || links.tracked(Stat.ino(st)))) {
            s.multiLinkSeen = p;
            s.multiLinkIno = Stat.ino(st);
        }
    }

    void fgetattr(String p, Pointer st, Handle h) {
        if (h != null && (h.upper || p == null)) {
            Scratch s = scratch.get();
            s.sharedIno = 0;
            Native.check(C.fstat(h.fd, st), "fstat", p);
            if (h.upper) {
                long ino = Stat.ino(st);
                origins.apply(null, h.fd, st);
                if (p != null && !hidden.isEmpty() && isHiddenName(p)) {
                    unlinkedNlink(hidden.get(p), st);
                }
                if (!Stat.isDir(st) && Stat.nlink(st) > 1) {
                    s.sharedIno = ino;
                }
            }
            return;
        }
        getattr(p, st);
    }

    /**
     * The upper inode number of the entry the last {@link #getattr} or {@link #fgetattr} on this
     * thread answered for, if it is a non-directory with several links in the upper layer (every
     * name of it is one file, which {@link NodeTable} gives one node); else 0. Lower files with
     * several links answer 0: a copy-up through one name splits it from the others.
     */
    long sharedInode() {
        return scratch.get().sharedIno;
    }

    /**
     * The loop serving this mount keeps its own nodes ({@link NodeTable}) and gives every name of a
     * multi-linked upper file one node, so the kernel keeps one inode for them: nothing need be
     * pushed from one name to the others, and the node of any path can be asked of {@code ids}.
     * So the per-name bookkeeping of libfuse's loop goes: {@link HardLinks}, and what
     * {@link #getattr} notes for {@link #lookupReplied} and {@link #endLookup} (lower-only
     * directories for {@link #lowerDirNodes}, multi-linked files); neither is called again. The one
     * switch between the loops' two ways of finding a node whose attributes to drop. Call before
     * the mount is served (the workers that read these fields start after).
     */
    void oneNodePerUpperInode(NodeIds ids) {
        nodeIds = ids;
        links = null;
    }

    /**
     * The birth time of {@code p} (or of open file {@code h}), as the kernel overlay reports it:
     * the real entry's, that is the upper one's once there is one (a copy-up is born when it is
     * made), else the lower one's. Written as a struct statx into {@code sx}
     * ({@link Native#STATX_SIZE} bytes; stx_btime at {@link Native#STATX_OFF_BTIME}).
     *
     * @return false if there is none to report (the layer's filesystem keeps none, or an
     *         O_TMPFILE file without a handle): the caller then reports no birth time
     * @throws ErrnoException ENOENT if {@code p} is gone
     */
    boolean birthTime(String p, Handle h, Pointer sx) {
        int rc;
        if (h != null && (h.upper || p == null)) {
            rc = C.statx(h.fd, "", Native.AT_EMPTY_PATH, Native.STATX_BTIME, sx);
        } else if (p == null || unnamed.owns(p)) {
            return false;
        } else {
            rc = C.statx(Native.AT_FDCWD, real(p), NOFOLLOW, Native.STATX_BTIME, sx);
        }
        return rc == 0 && (sx.getInt(0) & Native.STATX_BTIME) != 0;
    }

    /**
     * The key of an upper file with several names that {@link #upperFor} just resolved, else 0
     * (a file it copied up is a new one with one name: the kernel overlay breaks lower hard
     * links on copy-up too).
     */
    private long linkedUpper(int code, Pointer st) {
        if ((code & UPPER) == 0 || Stat.isDir(st)) {
            return 0;
        }
        long ino = Stat.ino(st);
        return Stat.nlink(st) > 1 || (links != null && links.tracked(ino)) ? ino : 0;
    }

    /** {@link #upperFor}, remembering in {@code key[0]} whether other names need telling (see {@link #linkedUpper}). */
    private String upperFor(String p, long[] key) {
        Pointer st = scratch.get().st;
        int code = resolve(p, st);
        key[0] = links == null || links.none() ? 0 : linkedUpper(code, st);
        if ((code & UPPER) == 0) {
            copyUp(p, true);
        }
        return up(p);
    }

    private void attributesChangedIf(long[] key) {
        if (key[0] != 0) {
            attributesChanged(key[0]);
        }
    }

    /** See {@link HardLinks#attributesChanged}. */
    private void attributesChanged(long ino) {
        if (links != null) {
            links.attributesChanged(ino);
        }
    }

    void chmod(String p, int mode) {
        if (unnamed.owns(p)) {
            unnamed.chmod(p, mode);
            attributesChanged(unnamed.linkedIno(p));
            return;
        }
        long[] key = new long[1];
        String u = upperFor(p, key);
        Native.check(C.fchmodat(Native.AT_FDCWD, u, mode & 07777, 0), "chmod", u);
        attributesChangedIf(key);
    }

    void chown(String p, int uid, int gid) {
        if (unnamed.owns(p)) {
            unnamed.chown(p, uid, gid);
            attributesChanged(unnamed.linkedIno(p));
            return;
        }
        long[] key = new long[1];
        String u = upperFor(p, key);
        Native.check(C.lchown(u, uid, gid), "lchown", u);
        attributesChangedIf(key);
    }

    void utimens(String p, Pointer times) {
        if (unnamed.owns(p)) {
            unnamed.utimens(p, times);
            attributesChanged(unnamed.linkedIno(p));
            return;
        }
        long[] key = new long[1];
        String u = upperFor(p, key);
        Native.check(C.utimensat(Native.AT_FDCWD, u, times, NOFOLLOW), "utimensat", u);
        attributesChangedIf(key);
    }

    void truncate(String p, long size) {
        if (unnamed.owns(p)) {
            long ino = unnamed.linkedIno(p);
            if (ino != 0) {
                beginDataChange(ino);
            }
            unnamed.truncate(p, size);
            if (ino != 0) {
                dataChanged();
            }
            return;
        }
        Pointer st = scratch.get().st;
        int code = resolve(p, st);
        long key = links == null || links.none() ? 0 : linkedUpper(code, st);
        if ((code & UPPER) == 0) {
            copyUp(p, size != 0);
        }
        String u = up(p);
        if (key != 0) {
            beginDataChange(key);
        }
        Native.check(C.truncate(u, size), "truncate", u);
        if (key != 0) {
            dataChanged();
        }
    }

    void ftruncate(String p, long size, Handle h) {
        if (h != null && h.upper) {
            boolean linked = h.linked;
            if (linked) {
                beginDataChange(h);
            }
            Native.check(C.ftruncate(h.fd, size), "ftruncate", p);
            if (linked) {
                dataChanged();
            }
        } else {
            truncate(p, size);
        }
    }

    int readlink(String p, Pointer buf, long size) {
        String r = real(p);
        long n = Native.check(C.readlink(r, buf, size - 1), "readlink", r);
        buf.putByte(n, (byte) 0);
        return 0;
    }

    void statfs(Pointer buf) {
        Native.check(C.statvfs(upper, buf), "statvfs", upper);
    }

    // ---------------------------------------------------------------- xattrs

    int getxattr(String p, String name, Pointer value, long size) {
        if (unnamed.owns(p)) {
            return unnamed.getxattr(p, OverlayXattrs.toDisk(name), value, size);
        }
        String r = real(p);
        long n = size == 0 ? C.lgetxattr(r, OverlayXattrs.toDisk(name), (Pointer) null, 0)
                : C.lgetxattr(r, OverlayXattrs.toDisk(name), value, size);
        if (n < 0) {
            throw ErrnoException.of(acls.getxattrErrno(name, Native.errno()), "getxattr", r);
        }
        return (int) n;
    }

    int listxattr(String p, Pointer list, long size) {
        byte[] raw;
        if (unnamed.owns(p)) {
            raw = unnamed.listxattr(p);
        } else {
            String r = real(p);
            raw = XattrLists.listBytes(Native.check(C.llistxattr(r, (byte[]) null, 0), "listxattr", r),
                    b -> C.llistxattr(r, b, b.length));
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length);
        for (String name : XattrLists.names(raw)) {
            String user = OverlayXattrs.toUser(name);
            if (user != null) {
                byte[] b = user.getBytes(BYTES);
                out.write(b, 0, b.length);
                out.write(0);
            }
        }
        byte[] result = out.toByteArray();
        if (size == 0) {
            return result.length;
        }
        if (result.length > size) {
            throw new ErrnoException(Errno.ERANGE, "listxattr");
        }
        list.put(0, result, 0, result.length);
        return result.length;
    }

    void setxattr(String p, String name, Pointer value, long size, int flags) {
        acls.checkSettable(name);
        if (unnamed.owns(p)) {
            unnamed.setxattr(p, OverlayXattrs.toDisk(name), value, size, flags);
            attributesChanged(unnamed.linkedIno(p)); // the ctime
            return;
        }
        if (PosixAcls.isAcl(name) && (resolve(p, scratch.get().st) & UPPER) == 0) {
            acls.checkBaseHolds(lo(p)); // before the copy-up, as the kernel overlay checks
        }
        long[] key = new long[1];
        String u = upperFor(p, key);
        Native.check(C.lsetxattr(u, OverlayXattrs.toDisk(name), value, size, flags), "setxattr", u);
        if (scratch.get().killSgid && name.equals(PosixAcls.ACCESS)) {
            acls.killSgid(u);
        }
        attributesChangedIf(key); // the ctime
    }

    void removexattr(String p, String name) {
        acls.checkSettable(name);
        String disk = OverlayXattrs.toDisk(name);
        if (unnamed.owns(p)) {
            unnamed.removexattr(p, disk);
            attributesChanged(unnamed.linkedIno(p));
            return;
        }
        if ((resolve(p, scratch.get().st) & UPPER) == 0) {
            // like the kernel: removing a name the lower entry does not have fails without a copy-up
            String l = lo(p);
            if (C.lgetxattr(l, disk, (byte[]) null, 0) < 0) {
                throw ErrnoException.of(Native.errno(), "removexattr", l);
            }
        }
        long[] key = new long[1];
        String u = upperFor(p, key);
        Native.check(C.lremovexattr(u, disk), "removexattr", u);
        attributesChangedIf(key);
    }

    // ---------------------------------------------------------------- namespace changes

    /**
     * Creates a new entry at {@code p}: in place, or, where a whiteout hides a lower entry, in the
     * workdir and then moved over the whiteout (a directory made this way is opaque). {@code umask}
     * is the caller's, applied unless the directory's default ACL takes its place.
     */
    private void createEntry(String p, boolean isDir, int umask, Maker maker) {
        String parent = parent(p);
        ensureUpperDir(parent);
        ReentrantLock lock = stripe(parent);
        lock.lock();
        try {
            int code = lookup(p, scratch.get().st, false);
            if (visible(code)) {
                throw ErrnoException.of(Errno.EEXIST, "create", p);
            }
            String target = up(p);
            String upperParent = up(parent);
            boolean inherits = acls.hasDefault(upperParent);
            int mask = acls.umaskFor(inherits, umask);
            if (code == WHITEOUT) {
                // made in the workdir: in a directory there with the parent's default ACL, if it
                // has one, so that it inherits as if made in place
                String holder = inherits ? tmpName() : null;
                if (holder != null) {
                    acls.makeHolder(holder, upperParent);
                }
                String tmp = holder != null ? holder + "/new" : tmpName();
                try {
                    makeOver(tmp, target, isDir, mask, maker);
                } finally {
                    if (holder != null) {
                        C.rmdir(holder);
                    }
                }
            } else {
                maker.make(target, mask);
            }
            if (isDir) {
                invalidate(p);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Makes the entry at {@code tmp} in the workdir and moves it over the whiteout at {@code target}. */
    private void makeOver(String tmp, String target, boolean isDir, int umask, Maker maker) {
        maker.make(tmp, umask);
        try {
            if (isDir) {
                UpperFormat.setOpaque(tmp);
                Native.check(C.renameat2(Native.AT_FDCWD, tmp, Native.AT_FDCWD, target, Native.RENAME_EXCHANGE),
                        "rename exchange", target);
                C.unlink(tmp);
            } else {
                Native.check(C.rename(tmp, target), "rename", target);
            }
        } catch (RuntimeException e) {
            CopyUp.removeQuietly(tmp);
            throw e;
        }
    }

    /**
     * Gives the entry just made at {@code path} the caller's ownership (group from a set-group-ID
     * parent is kept).
     *
     * @throws ErrnoException EPERM where this server may not give it (run by an unprivileged user,
     *                        for another user's request); the entry is removed then, so the failed
     *                        request leaves nothing behind
     */
    private void own(String path, String p, int uid, int gid) {
        if (uid == OWN_UID && gid == OWN_GID) {
            // created with the caller's ids already, or with a set-group-ID parent's group, which
            // is what the caller would get too: saves two system calls per new entry
            return;
        }
        if (C.lchown(path, uid, parentSetgid(p) ? -1 : gid) != 0) {
            ErrnoException e = ErrnoException.of(Native.errno(), "lchown", path);
            CopyUp.removeQuietly(path);
            throw e;
        }
    }

    /** The owner a new file gets without a chown (the daemon never changes its ids). */
    static final int OWN_UID = C.geteuid();
    private static final int OWN_GID = C.getegid();
    private boolean parentSetgid(String p) {
        Pointer st = scratch.get().parentSt;
        String u = up(parent(p));
        return C.fstatat(Native.AT_FDCWD, u, st, NOFOLLOW) == 0 && (Stat.mode(st) & Stat.S_ISGID) != 0;
    }

    void mkdir(String p, int mode, int umask, int uid, int gid) {
        createEntry(p, true, umask, (t, mask) -> {
            Native.check(C.mkdir(t, mode & ~mask & 07777), "mkdir", t);
            own(t, p, uid, gid);
        });
    }

    /**
     * @throws ErrnoException EPERM for a character device 0/0, as the kernel overlay answers: in the
     *                        upper layer it would be a whiteout, i.e. the name's deletion
     */
    void mknod(String p, int mode, int umask, long rdev, int uid, int gid) {
        if ((mode & Stat.S_IFMT) == Stat.S_IFCHR && rdev == 0) {
            throw ErrnoException.of(Errno.EPERM, "mknod of a whiteout", p);
        }
        createEntry(p, false, umask, (t, mask) -> {
            Native.check(C.mknod(t, mode & ~mask, rdev), "mknod", t);
            own(t, p, uid, gid);
        });
    }

    void symlink(String target, String p, int uid, int gid) {
        createEntry(p, false, 0, (t, mask) -> {
            Native.check(C.symlink(target, t), "symlink", t);
            own(t, p, uid, gid);
        });
    }

    void link(String from, String to) {
        boolean fromUnnamed = unnamed.owns(from);
        if (fromUnnamed) {
            // linkat(2) of an O_TMPFILE descriptor: the unnamed file gets its first (or next) name
            createEntry(to, false, 0, (t, mask) -> unnamed.link(from, t));
        } else {
            linkNamed(from, to);
        }
        Scratch s = scratch.get();
        if (visible(lookup(to, s.st2, false))) {
            HardLinks l = links;
            if (l == null) {
                markLinkedHandles(Stat.ino(s.st2)); // Passthrough asks for it too
                return;
            }
            s.linkCountChanged = Stat.ino(s.st2);
            l.linked(Stat.ino(s.st2), to, s.requestNode, s.linkSource);
            markLinkedHandles(Stat.ino(s.st2));
            l.dropLinkCounts(Stat.ino(s.st2));
            if (fromUnnamed) {
                // the kernel now holds the file under two nodes though its link count may be 1:
                // track the new name's node as getattr does for a file with several links
                s.multiLinkSeen = to;
                s.multiLinkIno = Stat.ino(s.st2);
            }
        }
    }

    private void linkNamed(String from, String to) {
        int code = resolve(from, scratch.get().st);
        if (Stat.isDir(scratch.get().st)) {
            throw ErrnoException.of(Errno.EPERM, "link", from);
        }
        if ((code & UPPER) == 0) {
            copyUp(from, true);
        }
        String src = up(from);
        createEntry(to, false, 0, (t, mask) -> Native.check(C.link(src, t), "link", t));
        if (origins.enabled() && UpperFormat.hasXattr(src, OriginXattr.NAME)) {
            // as the kernel does: the new name's directory now holds an entry with an origin
            setImpure(parent(to));
        }
    }

    /**
     * A file just got another name: its handles opened while it had one must now push their
     * changes to the other names too. Runs over the open handles, which link(2) can afford;
     * a handle of unknown inode (created, or copied up at open) costs an fstat.
     */
    private void markLinkedHandles(long ino) {
        Pointer st = scratch.get().parentSt; // free once the link is made
        handles.forEach(h -> {
            if (!h.upper || h.linked) {
                return;
            }
            if (h.ino == 0 && C.fstat(h.fd, st) == 0) {
                origins.apply(null, h.fd, st);
                h.ino = Stat.ino(st);
            }
            if (h.ino == ino) {
                h.linked = true;
            }
        });
    }

    long create(String p, int mode, int umask, int flags, int uid, int gid) {
        if (UnnamedFiles.isReserved(p)) {
            return createUnnamed(p, mode, umask, flags, uid, gid);
        }
        int[] fd = {-1};
        int openFlags = (flags & ~(Native.O_CREAT | Native.O_EXCL | Native.O_NOCTTY | 040000 /* O_DIRECT */))
                | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC;
        try {
            createEntry(p, false, umask, (t, mask) -> {
                fd[0] = Native.check(C.open(t, openFlags, mode & ~mask & 07777), "create", t);
                own(t, p, uid, gid);
            });
        } catch (ErrnoException e) {
            if (fd[0] >= 0) {
                C.close(fd[0]);
            }
            if (e.errno() == Errno.EEXIST && (flags & Native.O_EXCL) == 0) {
                return open(p, flags & ~Native.O_CREAT);
            }
            throw e;
        }
        return handles.add(new Handle(fd[0], true, null));
    }

    /**
     * O_TMPFILE (see {@link TmpfileRequest}): an unnamed file in the upper directory of the
     * directory that reserved path {@code p} names, which is copied up first as for any create.
     */
    private long createUnnamed(String p, int mode, int umask, int flags, int uid, int gid) {
        String dir = UnnamedFiles.directoryOf(p);
        ensureUpperDir(dir);
        boolean chown = uid != OWN_UID || gid != OWN_GID;
        String upperDir = up(dir);
        int mask = acls.umaskFor(acls.hasDefault(upperDir), umask);
        return handles.add(unnamed.create(p, upperDir, mode & ~mask, flags, chown, uid, gid));
    }

    /**
     * Unlinks {@code from} while it is still open, keeping its data reachable under the hidden
     * name {@code to} (libfuse's .fuse_hidden rename) without leaving anything in the upper layer.
     */
    void hide(String from, String to) {
        Pointer st = scratch.get().st;
        resolve(from, st);
        if (Stat.isDir(st)) {
            throw ErrnoException.of(Errno.EISDIR, "hide", from);
        }
        String parent = parent(from);
        ensureUpperDir(parent);
        ReentrantLock lock = stripe(parent);
        lock.lock();
        try {
            int code = lookup(from, st, true);
            if (!visible(code)) {
                throw ErrnoException.of(Errno.ENOENT, "unlink", from);
            }
            String u = up(from);
            if ((code & UPPER) != 0) {
                String tmp = tmpName();
                Native.check(C.rename(u, tmp), "rename", u);
                hidden.put(to, tmp);
                String old = hidden.remove(from);
                if ((code & BENEATH) != 0 && old == null) {
                    createWhiteout(u);
                }
            } else {
                String old = hidden.remove(from);
                if (old == null) {
                    createWhiteout(u);
                }
                hidden.put(to, old != null ? old : lo(from));
            }
        } finally {
            lock.unlock();
        }
    }

    void unlink(String p) {
        if (!hidden.isEmpty() && isHiddenName(p)) {
            String h = hidden.remove(p);
            if (h != null) {
                if (h.startsWith(work)) {
                    C.unlink(h);
                }
                return;
            }
        }
        Pointer st = scratch.get().st;
        int code = resolve(p, st);
        if (Stat.isDir(st)) {
            throw ErrnoException.of(Errno.EISDIR, "unlink", p);
        }
        String parent = parent(p);
        ensureUpperDir(parent);
        ReentrantLock lock = stripe(parent);
        lock.lock();
        try {
            code = lookup(p, st, true);
            if (!visible(code)) {
                throw ErrnoException.of(Errno.ENOENT, "unlink", p);
            }
            Long staleSource = null;
            if (links != null && Stat.nlink(st) > 1) {
                long ino = Stat.ino(st);
                scratch.get().linkCountChanged = ino;
                staleSource = links.removeName(ino, p);
            }
            String u = up(p);
            if ((code & UPPER) != 0) {
                if ((code & BENEATH) != 0) {
                    replaceWithWhiteout(u);
                } else {
                    Native.check(C.unlink(u), "unlink", u);
                }
            } else {
                createWhiteout(u);
            }
            KernelCache kc = kernelCache;
            if (staleSource != null && kc != null) {
                // before the reply, so a caller's next lstat cannot see the old count
                kc.dropAttributes(staleSource);
            }
            if (links != null) {
                long changed = scratch.get().linkCountChanged;
                if (changed != 0) {
                    links.dropLinkCounts(changed);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void createWhiteout(String u) {
        UpperFormat.createWhiteout(u, whiteoutForm);
        if (whiteoutForm == WhiteoutForm.XATTR) {
            UpperFormat.markXattrWhiteouts(u.substring(0, u.lastIndexOf('/')));
        }
    }

    /** Atomically replaces the upper non-directory at {@code u} with a whiteout. */
    private void replaceWithWhiteout(String u) {
        String tmp = tmpName();
        createWhiteout(tmp);
        if (C.rename(tmp, u) != 0) {
            int e = Native.errno();
            C.unlink(tmp);
            throw ErrnoException.of(e, "rename whiteout", u);
        }
        if (whiteoutForm == WhiteoutForm.XATTR) {
            UpperFormat.markXattrWhiteouts(u.substring(0, u.lastIndexOf('/')));
        }
    }

    void rmdir(String p) {
        if (p.length() == 1) {
            throw ErrnoException.of(Errno.EBUSY, "rmdir", p);
        }
        Pointer st = scratch.get().st;
        resolve(p, st);
        if (!Stat.isDir(st)) {
            throw ErrnoException.of(Errno.ENOTDIR, "rmdir", p);
        }
        String parent = parent(p);
        ensureUpperDir(parent);
        ReentrantLock lock = stripe(parent);
        lock.lock();
        try {
            int code = lookup(p, st, true);
            if (!visible(code)) {
                throw ErrnoException.of(Errno.ENOENT, "rmdir", p);
            }
            if (!isEmpty(p, code)) {
                throw ErrnoException.of(Errno.ENOTEMPTY, "rmdir", p);
            }
            String u = up(p);
            if ((code & UPPER) != 0) {
                removeWhiteoutsIn(u);
                if ((code & BENEATH) != 0) {
                    String tmp = tmpName();
                    createWhiteout(tmp);
                    if (C.renameat2(Native.AT_FDCWD, tmp, Native.AT_FDCWD, u, Native.RENAME_EXCHANGE) != 0) {
                        int e = Native.errno();
                        C.unlink(tmp);
                        throw ErrnoException.of(e, "rename exchange", u);
                    }
                    if (C.rmdir(tmp) != 0) {
                        int e = Native.errno();
                        // something was created in it meanwhile: put it back
                        C.renameat2(Native.AT_FDCWD, tmp, Native.AT_FDCWD, u, Native.RENAME_EXCHANGE);
                        C.unlink(tmp);
                        throw ErrnoException.of(e, "rmdir", u);
                    }
                } else {
                    Native.check(C.rmdir(u), "rmdir", u);
                }
            } else {
                createWhiteout(u);
            }
            invalidate(p);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Is the merged directory {@code p} (resolved with {@code code}) empty? A lower-only directory's
     * listing shows the lower layer's own whiteouts; its 0/0 devices do not count, as in the
     * kernel's emptiness check, which leaves every layer's out (its xattr ones count there too).
     */
    private boolean isEmpty(String p, int code) {
        boolean[] empty = {true};
        String lowerDir = (code & UPPER) == 0 ? lo(p) + "/" : null;
        list(p, code, new EntrySink() {
            @Override
            public boolean accept(long name, int dtype, long ino) {
                throw new IllegalStateException("a listing passes its names in the heap");
            }

            @Override
            public boolean accept(byte[] a, int name, long address, int dtype, long ino) {
                if (lowerDir != null && dtype == Listing.DT_CHR) {
                    int end = name;
                    while (a[end] != 0) {
                        end++;
                    }
                    Pointer st = scratch.get().parentSt;
                    String path = lowerDir + new String(a, name, end - name, BYTES);
                    if (C.fstatat(Native.AT_FDCWD, path, st, NOFOLLOW) == 0 && UpperFormat.isDeviceWhiteout(st)) {
                        return true;
                    }
                }
                empty[0] = false;
                return false;
            }
        });
        return empty[0];
    }

    private void removeWhiteoutsIn(String dir) {
        Pointer d = C.opendir(dir);
        if (d == null) {
            throw ErrnoException.of(Native.errno(), "opendir", dir);
        }
        java.util.List<String> whiteouts = new java.util.ArrayList<>();
        try {
            Pointer st = scratch.get().st2;
            for (Pointer e = C.readdir(d); e != null; e = C.readdir(d)) {
                String name = Native.byteString(e, 19);
                if (name.equals(".") || name.equals("..")) {
                    continue;
                }
                String path = dir + "/" + name;
                if (C.fstatat(Native.AT_FDCWD, path, st, NOFOLLOW) == 0 && UpperFormat.isWhiteout(path, st)) {
                    whiteouts.add(path);
                }
            }
        } finally {
            C.closedir(d);
        }
        for (String w : whiteouts) {
            C.unlink(w);
        }
    }

    void rename(String from, String to) {
        rename(from, to, 0);
    }

    /**
     * {@link #rename} of a source that {@link #copyUpToRename} may have copied up just before, in
     * the same request: {@code copiedFirst} is what that returned, so that what the copy changed is
     * dropped as if the rename had copied the source itself.
     */
    void rename(String from, String to, int copiedFirst) {
        if (from.equals(to)) {
            return;
        }
        if (isHiddenName(to) && !isHidden(to)) {
            hide(from, to);
            return;
        }
        if (to.startsWith(from + "/")) {
            throw ErrnoException.of(Errno.EINVAL, "rename", to);
        }
        Scratch s = scratch.get();
        int fcode = lookup(from, s.renameSt, true);
        if (!visible(fcode)) {
            throw ErrnoException.of(Errno.ENOENT, "rename", from);
        }
        boolean fromDir = Stat.isDir(s.renameSt);
        if (fromDir && (fcode & LOWER) != 0) {
            // without redirect_dir a directory that exists in the lower layer cannot move
            throw ErrnoException.of(Errno.EXDEV, "rename", from);
        }
        String fromParent = parent(from);
        String toParent = parent(to);
        ensureUpperDir(fromParent);
        ensureUpperDir(toParent);
        if (!fromDir && (fcode & UPPER) == 0 && isHidden(from)) {
            copyUp(from, true); // an unlinked lower file still open: copied within the workdir
        }
        ReentrantLock[] locks = stripesOf(fromParent, toParent);
        locks[0].lock();
        locks[1].lock();
        try {
            // 1: the source's origin is recorded; 0: it is not; -1: not known yet
            int hasOrigin = -1;
            if (!fromDir && (fcode & UPPER) == 0 && upperAbsent(from)) {
                // still only in the lower layer, which does not change, so renameSt is still its
                // lstat: copy it up here, under the locks, rather than look it up all over again
                int copied = copyUpLocked(from, fromParent, s.renameSt, true);
                // the kernel moves its inode to the new name; if that inode's number and link count
                // stayed right, nothing needs dropping (the rename makes it fetch the ctime anew)
                s.copiedUp = (copied & COPY_KEPT) == 0;
                hasOrigin = (copied & COPY_ORIGIN) != 0 ? 1 : 0;
                fcode = UPPER | BENEATH;
            } else {
                fcode = lookup(from, s.st, true);
                if ((fcode & UPPER) == 0) {
                    throw ErrnoException.of(Errno.ENOENT, "rename", from);
                }
                if (copiedFirst != 0) {
                    s.copiedUp = (copiedFirst & COPY_KEPT) == 0;
                    hasOrigin = (copiedFirst & COPY_ORIGIN) != 0 ? 1 : 0;
                }
            }
            int tcode = lookup(to, s.st2, true);
            boolean toVisible = visible(tcode);
            String uf = up(from);
            String ut = up(to);
            long replacedLinked = 0;
            if (toVisible) {
                boolean toDir = Stat.isDir(s.st2);
                if (!toDir && Stat.nlink(s.st2) > 1) {
                    // the replaced file loses a name: its other names' counts change
                    replacedLinked = Stat.ino(s.st2);
                }
                if (fromDir && !toDir) {
                    throw ErrnoException.of(Errno.ENOTDIR, "rename", to);
                }
                if (!fromDir && toDir) {
                    throw ErrnoException.of(Errno.EISDIR, "rename", to);
                }
                if (toDir) {
                    if (!isEmpty(to, tcode)) {
                        throw ErrnoException.of(Errno.ENOTEMPTY, "rename", to);
                    }
                    if ((tcode & UPPER) != 0) {
                        removeWhiteoutsIn(ut);
                    }
                }
            }
            boolean lowerAtTarget = tcode == WHITEOUT || (tcode & BENEATH) != 0;
            if (fromDir && (lowerAtTarget || dir(toParent).lower) && !UpperFormat.isOpaque(uf)) {
                // like the kernel without redirect_dir: a directory moved into a merged directory
                // is made opaque, so no lower directory of that name can ever merge into it
                UpperFormat.setOpaque(uf);
            }
            if (!fromDir && origins.enabled() && !isMarkedImpure(toParent)
                    && (hasOrigin == 1 || (hasOrigin < 0 && UpperFormat.hasXattr(uf, OriginXattr.NAME)))) {
                // as the kernel does: the target directory now holds an entry with an origin
                setImpure(toParent);
            }
            boolean needWhiteout = (fcode & BENEATH) != 0;
            if (tcode == WHITEOUT && fromDir) {
                // a directory cannot replace a device: swap, and the whiteout lands at the source
                Native.check(C.renameat2(Native.AT_FDCWD, uf, Native.AT_FDCWD, ut, Native.RENAME_EXCHANGE),
                        "rename exchange", ut);
                if (!needWhiteout) {
                    Native.check(C.unlink(uf), "unlink", uf);
                }
            } else {
                boolean done = false;
                if (needWhiteout && whiteoutForm == WhiteoutForm.DEVICE) {
                    done = C.renameat2(Native.AT_FDCWD, uf, Native.AT_FDCWD, ut, Native.RENAME_WHITEOUT) == 0;
                    if (!done) {
                        int e = Native.errno();
                        if (e != Errno.EINVAL && e != Errno.EPERM && e != Errno.EOPNOTSUPP) {
                            throw ErrnoException.of(e, "rename", ut);
                        }
                    }
                }
                if (!done) {
                    Native.check(C.rename(uf, ut), "rename", ut);
                    if (needWhiteout) {
                        createWhiteout(uf);
                    }
                }
            }
            if (fromDir || toVisible) {
                invalidate(from);
                invalidate(to);
            }
            if (replacedLinked != 0 && links != null) {
                links.removeName(replacedLinked, to);
                s.linkCountChanged = replacedLinked;
                links.dropLinkCounts(replacedLinked);
            }
        } finally {
            locks[1].unlock();
            locks[0].unlock();
        }
    }

    /** {@link #exchange}'s answer: the file at its first path was copied up with a new inode number or link count. */
    static final int EXCHANGE_COPIED_A = 1;
    /** The same for its second path. */
    static final int EXCHANGE_COPIED_B = 2;

    /**
     * renameat2(2) with {@code RENAME_EXCHANGE}, as the kernel overlay does it (without
     * redirect_dir): each side that is a lower non-directory is copied up (with its parents), then
     * the two upper entries are swapped atomically; nothing needs a whiteout, both names stay
     * taken. A directory that lands in a directory with a lower layer is made opaque, so that no
     * lower directory of its new name merges into it (the kernel does this even within one
     * directory). The VFS has already refused what it refuses for every filesystem (flags with
     * NOREPLACE, a side that is the other's ancestor, a missing side; the same name never comes).
     * {@code copiedFirst} is what {@link #copyUpToExchange} answered just before, in the same
     * request (0 if it was not called): sides it copied count as copied here.
     *
     * @return {@link #EXCHANGE_COPIED_A} and/or {@link #EXCHANGE_COPIED_B} for the sides whose
     *         copy-up changed what the kernel caches about them (inode number, link count)
     * @throws ErrnoException ENOENT if a side is not there; EXDEV if a side is a directory that
     *         exists in the lower layer (merged or lower only), before anything is copied up; EBUSY
     *         for the hidden name of an unlinked open file; EINVAL if one is the other's ancestor;
     *         what lstat, copy-up or renameat2 on the upper layer fail with
     */
    int exchange(String a, String b, int copiedFirst) {
        if (a.equals(b)) {
            return 0;
        }
        checkExchangeable(a, b);
        Scratch s = scratch.get();
        String pa = parent(a);
        String pb = parent(b);
        ensureUpperDir(pa);
        ensureUpperDir(pb);
        ReentrantLock[] locks = stripesOf(pa, pb);
        locks[0].lock();
        locks[1].lock();
        try {
            int changed = 0;
            int aOrigin = -1; // as in rename: 1 recorded, 0 not, -1 not known yet
            int bOrigin = -1;
            // a side copied here, under the locks, counts rather than what copyUpToExchange did
            int copiedA = copiedFirst & 0xff;
            int copiedB = copiedFirst >>> 8;
            int acode = resolve(a, s.renameSt);
            if (!Stat.isDir(s.renameSt) && (acode & UPPER) == 0) {
                copiedA = COPIED_TO_MOVE | copyUpLocked(a, pa, s.renameSt, true);
            }
            int bcode = resolve(b, s.renameSt);
            if (!Stat.isDir(s.renameSt) && (bcode & UPPER) == 0) {
                copiedB = COPIED_TO_MOVE | copyUpLocked(b, pb, s.renameSt, true);
            }
            if (copiedA != 0) {
                changed |= (copiedA & COPY_KEPT) == 0 ? EXCHANGE_COPIED_A : 0;
                aOrigin = (copiedA & COPY_ORIGIN) != 0 ? 1 : 0;
            }
            if (copiedB != 0) {
                changed |= (copiedB & COPY_KEPT) == 0 ? EXCHANGE_COPIED_B : 0;
                bOrigin = (copiedB & COPY_ORIGIN) != 0 ? 1 : 0;
            }
            // under the locks again: both are in the upper layer now, or changed meanwhile
            acode = resolve(a, s.st);
            boolean aDir = Stat.isDir(s.st);
            bcode = resolve(b, s.st);
            boolean bDir = Stat.isDir(s.st);
            if ((acode & UPPER) == 0 || (bcode & UPPER) == 0) {
                throw ErrnoException.of(Errno.EXDEV, "rename exchange", (acode & UPPER) == 0 ? a : b);
            }
            String ua = up(a);
            String ub = up(b);
            if (aDir && !UpperFormat.isOpaque(ua) && dir(pb).lower) {
                UpperFormat.setOpaque(ua);
            }
            if (bDir && !UpperFormat.isOpaque(ub) && dir(pa).lower) {
                UpperFormat.setOpaque(ub);
            }
            if (!pa.equals(pb)) {
                // as the kernel does: a directory receiving an entry with an origin is impure
                impureIfOrigin(ua, aOrigin, pb);
                impureIfOrigin(ub, bOrigin, pa);
            }
            Native.check(C.renameat2(Native.AT_FDCWD, ua, Native.AT_FDCWD, ub, Native.RENAME_EXCHANGE),
                    "rename exchange", ub);
            if (aDir || bDir) {
                invalidate(a);
                invalidate(b);
            }
            s.copiedUp = false; // the caller drops what changed (by node: it knows both)
            return changed;
        } finally {
            locks[1].unlock();
            locks[0].unlock();
        }
    }

    /**
     * Fails as {@link #exchange} of {@code a} and {@code b} (not the same) fails before it copies
     * anything up, in the kernel's order: EBUSY for the hidden name of an unlinked open file,
     * EINVAL if one is the other's ancestor, ENOENT if a side is not there (the VFS's lookups),
     * then EXDEV if a side is a directory the lower layer has (ovl_can_move of each side).
     */
    private void checkExchangeable(String a, String b) {
        if (isHidden(a) || isHidden(b)) {
            throw ErrnoException.of(Errno.EBUSY, "rename exchange", a);
        }
        if (b.startsWith(a + "/") || a.startsWith(b + "/")) {
            throw ErrnoException.of(Errno.EINVAL, "rename exchange", b);
        }
        Pointer st = scratch.get().st; // (not st2: lookup stats the lower entry into it)
        int acode = resolve(a, st);
        boolean aLowerDir = Stat.isDir(st) && (acode & LOWER) != 0;
        int bcode = resolve(b, st);
        if (aLowerDir || (Stat.isDir(st) && (bcode & LOWER) != 0)) {
            throw ErrnoException.of(Errno.EXDEV, "rename exchange", aLowerDir ? a : b);
        }
    }

    /** Marks {@code dir} impure if upper entry {@code u} has an origin ({@code known}: 1 yes, 0 no, -1 look). */
    private void impureIfOrigin(String u, int known, String dir) {
        if (origins.enabled() && !isMarkedImpure(dir)
                && (known == 1 || (known < 0 && UpperFormat.hasXattr(u, OriginXattr.NAME)))) {
            setImpure(dir);
        }
    }

    // ---------------------------------------------------------------- files

    long open(String p, int flags) {
        if (unnamed.owns(p)) {
            return handles.add(unnamed.open(p, flags));
        }
        Pointer st = scratch.get().st;
        int code = resolve(p, st);
        boolean trunc = (flags & Native.O_TRUNC) != 0;
        boolean write = (flags & Native.O_ACCMODE) != Native.O_RDONLY || trunc;
        boolean inUpper = (code & UPPER) != 0;
        // st describes the file opened unless it is copied up now (then it is a new inode, whose
        // number is not worth a system call here: see markLinkedHandles)
        long ino = inUpper || !write ? Stat.ino(st) : 0;
        boolean linked = linkedUpper(code, st) != 0;
        if (write && !inUpper) {
            copyUp(p, !trunc);
            inUpper = true;
        }
        String r = inUpper ? up(p) : lo(p);
        int openFlags = (flags & ~(Native.O_CREAT | Native.O_EXCL | Native.O_NOCTTY | 040000 /* O_DIRECT */))
                | Native.O_CLOEXEC;
        if (linked && trunc) {
            beginDataChange(ino); // O_TRUNC empties it for every name
        }
        int fd = Native.check(inUpper ? C.open(r, openFlags, 0) : LowerLayer.open(r, openFlags), "open", r);
        if (linked && trunc) {
            dataChanged();
        }
        if (!inUpper) {
            // FUSE splits a sequential read into 128 KiB requests served by several threads, which
            // keeps the lower file's readahead window small; ask for the large one
            C.posix_fadvise(fd, 0, 0, 2 /* POSIX_FADV_SEQUENTIAL */);
        }
        if (inUpper || !Stat.isReg(st)) {
            Handle h = new Handle(fd, inUpper, null);
            h.ino = ino;
            h.linked = linked;
            return handles.add(h);
        }
        Handle h = new Handle(fd, false, p);
        h.ino = ino;
        lowerOpen.compute(p, (k, list) -> {
            java.util.List<Handle> l = list == null ? new java.util.ArrayList<>(2) : list;
            l.add(h);
            return l;
        });
        return handles.add(h);
    }

    void release(long fh) {
        Handle h = handles.remove(fh);
        if (h == null) {
            return;
        }
        if (h.lowerPath != null) {
            lowerOpen.computeIfPresent(h.lowerPath, (k, list) -> {
                list.remove(h);
                return list.isEmpty() ? null : list;
            });
        }
        Passthrough pt = passthrough;
        if (pt != null) {
            pt.released(h);
        }
        C.close(h.fd);
        unnamed.closed(h);
    }

    /** Points the read-only descriptors open on the lower file {@code p} at its new upper copy. */
    private void switchToUpper(String p, String upperPath) {
        lowerOpen.computeIfPresent(p, (k, list) -> {
            for (Handle h : list) {
                int fd = C.open(upperPath, Native.O_RDONLY | Native.O_CLOEXEC, 0);
                if (fd >= 0) {
                    C.dup2(fd, h.fd);
                    C.close(fd);
                    h.upper = true;
                }
            }
            return null;
        });
    }

    /** Syncs an open file, unless the mount is volatile ({@link #syncs}). */
    void fsync(Handle h, boolean datasync) {
        if (!syncs) {
            return;
        }
        Native.check(datasync ? C.fdatasync(h.fd) : C.fsync(h.fd), "fsync", null);
    }

    /**
     * fallocate(2) of an open file, in the modes FUSE passes on (keep size, punch hole, zero range;
     * the kernel refuses the others before asking us). The file was opened for writing, so it is
     * in the upper layer already; the upper file system answers for the mode.
     *
     * @throws ErrnoException EBADF for a descriptor of a lower file (not opened for writing),
     *                        otherwise fallocate(2)'s error on the upper file, e.g. EOPNOTSUPP
     */
    void fallocate(Handle h, int mode, long offset, long length) {
        if (!h.upper) {
            throw new ErrnoException(Errno.EBADF, "fallocate of a file not opened for writing");
        }
        boolean linked = h.linked;
        if (linked) {
            beginDataChange(h); // its other names cache data and a size this may change
        }
        Native.check(C.fallocate(h.fd, mode, offset, length), "fallocate", null);
        if (linked) {
            dataChanged();
        }
    }

    void fsyncdir(String p) {
        if (!syncs) {
            return;
        }
        int code = resolve(p, scratch.get().st);
        if ((code & UPPER) == 0) {
            return;
        }
        String u = up(p);
        int fd = Native.check(C.open(u, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC, 0), "open", u);
        try {
            Native.check(C.fsync(fd), "fsync", u);
        } finally {
            C.close(fd);
        }
    }

    // ---------------------------------------------------------------- directories

    /** Receives merged directory entries; return false to stop. */
    interface EntrySink {
        /** {@code name}: the address of the entry's NUL-terminated name, valid during the call. */
        boolean accept(long name, int dtype, long ino);

        /**
         * The same entry with its name also in the heap: from {@code name} of {@code a} up to a NUL
         * ({@code address} holds the same bytes); valid during the call. A sink that copies names
         * saves a native read per entry by taking them from {@code a}.
         */
        default boolean accept(byte[] a, int name, long address, int dtype, long ino) {
            return accept(address, dtype, ino);
        }
    }

    /** Lists merged directory {@code p}: upper entries minus whiteouts, then unhidden lower ones. */
    void readdir(String p, EntrySink sink) {
        Scratch s = scratch.get();
        int code = resolve(p, s.st);
        if (!Stat.isDir(s.st)) {
            throw ErrnoException.of(Errno.ENOTDIR, "readdir", p);
        }
        long self = Stat.ino(s.st);
        long parentIno = self;
        if (p.length() > 1) {
            lookup(parent(p), s.parentSt, false);
            parentIno = Stat.ino(s.parentSt);
        }
        // a zero d_ino would make readdir(3) skip the entry
        if (!sink.accept(DOT.address(), Listing.DT_DIR, self)
                || !sink.accept(DOTDOT.address(), Listing.DT_DIR, parentIno)) {
            return;
        }
        list(p, code, sink);
    }

    private static final Pointer DOT = cString(".");
    private static final Pointer DOTDOT = cString("..");

    private static Pointer cString(String str) {
        Pointer p = Native.allocate(str.length() + 1);
        p.put(0, str.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, str.length());
        return p;
    }

    /**
     * Lists directory {@code p}, resolved with {@code code}, into {@code sink}: its upper entries
     * minus whiteouts, then the lower ones not listed already (see {@link Listing}).
     */
    private void list(String p, int code, EntrySink sink) {
        boolean merged = (code & UPPER) != 0 && (code & LOWER) != 0;
        Listing ls = new Listing(this, p, merged ? new HashSet<>() : null, sink, scratch.get());
        if ((code & UPPER) != 0) {
            String u = up(p);
            // the kernel honours no marker of xattr whiteouts in an upper directory (see Listing)
            ls.upper(u, whiteoutForm == WhiteoutForm.XATTR,
                    // as in the kernel, only an impure directory can hold copied-up entries with origins
                    origins.enabled() && isImpure(p, u));
            if (!ls.read(u, true)) {
                return;
            }
        }
        if ((code & LOWER) != 0) {
            ls.read(lo(p), false);
        }
    }
}
