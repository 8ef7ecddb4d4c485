package org.dockerontop.fuse;

import static org.dockerontop.fuse.RequestNames.name;
import static org.dockerontop.fuse.RequestNames.nul;
import static org.dockerontop.fuse.RequestNames.string;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;

/**
 * The requests of {@link JavaRequests} that take names away or move them: UNLINK, RMDIR, RENAME
 * (RENAME2 with NOREPLACE arrives as one, see {@link RenameRequest}) and RENAME2 with
 * RENAME_EXCHANGE. One per worker, on its request buffer and {@link DirectoryMoves} slot.
 *
 * <p>Each holds a {@link Changing} while it changes the names: the write locks of the nodes it
 * names, the read locks of their directories, and, for a directory with known nodes under it,
 * the move of {@link DirectoryMoves} once the requests below have ended; the loop takes no lock
 * for these ({@link JavaRequests}' {@code usesNodePath}). {@link NodeTable} learns the new names
 * before that is given back. An open file losing its name is hidden instead (libfuse's
 * {@code hide_node}).
 *
 * <p>Each method returns the reply body's length (0). Failures are {@link ErrnoException}s of
 * {@link OverlayFs} (ENOENT, ENOTEMPTY, EXDEV for a lower directory...), EBUSY when no hidden
 * name is free, or of {@link RequestNames}; the table is then left as it was.
 */
final class NameChanges extends RequestKind {
    private final JavaLoop.Mount mount;
    /** Where this worker says whose paths its request uses ({@link DirectoryMoves}). */
    private final DirectoryMoves.Slot slot;

    NameChanges(JavaLoop.Mount mount, OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies,
            DirectoryMoves.Slot slot) {
        super(fs, nodes, mem, replies);
        this.mount = mount;
        this.slot = slot;
    }

    /**
     * What a request that changes names holds while it does: the write locks of the nodes whose
     * names it changes ({@code a}, {@code b}: null where no node has the name), the read locks of
     * the directories it names them in, its slot for those directories, and, if it moves a
     * directory with nodes under it, the {@link DirectoryMoves} move, once every request under it
     * has ended. Closed once the table has the new names.
     */
    private final class Changing implements AutoCloseable {
        private final NodeLocks.Held locks;
        private final DirectoryMoves.Move move;

        Changing(NodeLocks.Held locks, DirectoryMoves.Move move) {
            this.locks = locks;
            this.move = move;
        }

        @Override
        public void close() {
            mount.moves.leave(slot);
            mount.moves.end(move);
            locks.close();
        }
    }

    /**
     * Takes what a {@link Changing} holds, in {@link DirectoryMoves}'s order. A directory move
     * waits for the requests on and below its nodes before it takes their node locks, so that
     * the wait (for a copy-up, maybe) holds no stripe that unrelated nodes share.
     */
    private Changing changing(long parentA, long parentB, NodeTable.Node a, NodeTable.Node b) {
        long pb = parentB == parentA ? 0 : parentB;
        while (true) {
            DirectoryMoves.Move move = mount.moves.begin(a, b);
            if (move != null) {
                // one move at a time: nothing else moves the parents, and requests naming
                // anything in a or b now wait for the move (enter), so no node is named in them
                mount.moves.enter(slot, parentA, pb);
                mount.moves.drain(move, slot);
                NodeLocks.Held locks;
                try {
                    locks = mount.locks.lock(parentA, pb, a, b);
                } catch (RuntimeException | Error e) {
                    mount.moves.leave(slot);
                    mount.moves.end(move);
                    throw e;
                }
                return new Changing(locks, move);
            }
            NodeLocks.Held locks = mount.locks.lock(parentA, pb, a, b);
            if (mount.moves.isMove(a, b)) {
                locks.close(); // a node was named in a or b meanwhile: a move after all
                continue;
            }
            DirectoryMoves.Move other = mount.moves.enter(slot, parentA, pb);
            if (other == null) {
                return new Changing(locks, null);
            }
            // a directory above the parents is being moved
            locks.close();
            mount.moves.await(other);
        }
    }

    /**
     * Copies up what a rename (or, with {@code exchange}, an exchange) of {@code nameA} in
     * {@code parentA} with {@code nameB} in {@code parentB} would copy up, before the caller takes
     * its {@link Changing}, as the kernel overlay copies up before lock_rename: copied under the
     * Changing, a large lower file held the write lock of its node's stripe for the whole copy,
     * and requests on the unrelated nodes sharing it (1 in 256) waited that long (findings 40).
     * Meanwhile this holds what a request on the named nodes holds: their read locks (traded
     * for pins of them during the data copy, see {@link PinnedReads}),
     * so no rename or unlink of them runs during the copy (the kernel also keeps their directories
     * locked until our reply), and its slot for their directories, so no directory above them
     * moves. Returns what {@link OverlayFs#rename(String, String, int)} or
     * {@link OverlayFs#exchange(String, String, int)} takes; 0 if nothing was copied, also where a
     * node is not known (the move then copies under its locks as before).
     */
    private int copyUpFirst(long parentA, String nameA, long parentB, String nameB, boolean exchange) {
        NodeTable.Node a = nodes.find(parentA, nameA);
        NodeTable.Node b = exchange ? nodes.find(parentB, nameB) : null;
        if (a == null || (exchange && b == null)) {
            return 0;
        }
        long pb = parentB == parentA ? 0 : parentB;
        while (true) {
            pinned.a = a.id;
            pinned.b = b == null ? 0 : b.id;
            pinned.held = mount.locks.lock(pinned.a, pinned.b, null, null);
            DirectoryMoves.Move other;
            try {
                other = mount.moves.enter(slot, parentA, pb);
                if (other == null) {
                    OverlayFs.Scratch state = fs.requestState();
                    try {
                        if (nodes.find(parentA, nameA) != a || (exchange && nodes.find(parentB, nameB) != b)) {
                            return 0; // renamed or replaced before the locks: the move sees to it
                        }
                        String pathA = nodes.childPath(parentA, nameA);
                        String pathB = nodes.childPath(parentB, nameB);
                        state.longWait = pinned;
                        return exchange ? fs.copyUpToExchange(pathA, pathB) : fs.copyUpToRename(pathA, pathB);
                    } finally {
                        state.longWait = OverlayFs.LongWait.NONE;
                        mount.moves.leave(slot);
                    }
                }
            } finally {
                if (pinned.held != null) {
                    pinned.held.close();
                    pinned.held = null;
                }
            }
            // a directory above is being moved: wait for it without holding a node lock
            mount.moves.await(other);
        }
    }

    /**
     * The read locks {@link #copyUpFirst} holds, which its copy trades for pins of the nodes
     * ({@link NodeLocks#pin}, as an OPEN's copy-up does in {@link JavaRequests}), so that a name
     * change of an unrelated node sharing a stripe need not wait for a copy of maybe gigabytes.
     */
    private final class PinnedReads implements OverlayFs.LongWait {
        long a;
        long b;
        /** The read locks, null while given up. */
        NodeLocks.Held held;

        @Override
        public void begin() {
            mount.locks.pin(a);
            if (b != 0) {
                mount.locks.pin(b);
            }
            held.close();
            held = null;
        }

        @Override
        public void end() {
            try {
                held = mount.locks.lock(a, b, null, null);
            } finally {
                mount.locks.unpin(a);
                if (b != 0) {
                    mount.locks.unpin(b);
                }
            }
        }
    }

    private final PinnedReads pinned = new PinnedReads();

    /** UNLINK: an open file's last name is hidden rather than removed. */
    int unlink(long parent, int length) {
        String name = name(mem, IN, length);
        try (Changing c = changing(parent, 0, nodes.find(parent, name), null)) {
            String path = nodes.childPath(parent, name);
            if (nodes.isOpenUnderOnlyThisName(parent, name)) {
                hide(parent, name, path, false);
                return 0;
            }
            fs.unlink(path);
            nodes.removed(parent, name);
            return 0;
        }
    }

    /** RMDIR. */
    int rmdir(long parent, int length) {
        String name = name(mem, IN, length);
        try (Changing c = changing(parent, 0, nodes.find(parent, name), null)) {
            fs.rmdir(nodes.childPath(parent, name));
            nodes.removed(parent, name);
        }
        return 0;
    }

    /**
     * libfuse's {@code hide_node}: an open file losing its name is renamed to a hidden one instead
     * (OverlayFs keeps it in the workdir), and removed at its last release.
     */
    private void hide(long parent, String name, String path, boolean replaced) {
        NodeTable.Node n = nodes.find(parent, name);
        if (n == null) {
            throw new ErrnoException(Errno.ENOENT, "hide " + path);
        }
        String hidden = null;
        for (int tries = 0; tries < 10 && hidden == null; tries++) {
            String candidate = nodes.hiddenName(n.id);
            if (nodes.find(parent, candidate) != null) {
                continue;
            }
            try {
                fs.getattr(nodes.childPath(parent, candidate), st);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENOENT) {
                    hidden = candidate;
                }
            }
        }
        if (hidden == null) {
            throw new ErrnoException(Errno.EBUSY, "no hidden name for " + path);
        }
        String hiddenPath = nodes.childPath(parent, hidden);
        fs.rename(path, hiddenPath);
        nodes.renamed(parent, name, parent, hidden);
        nodes.markHidden(parent, hidden, hiddenPath, replaced);
    }

    /** RENAME: an open file losing its name to the rename is hidden first. */
    int rename(long oldParent, int length) {
        long newParent = mem.getLong(IN);
        int oldEnd = nul(mem, IN + 8, length);
        String oldName = string(mem, IN + 8, oldEnd);
        String newName = name(mem, oldEnd + 1, length);
        int copied = copyUpFirst(oldParent, oldName, newParent, newName, false);
        try (Changing c = changing(oldParent, newParent, nodes.find(oldParent, oldName), nodes.find(newParent, newName))) {
            String from = nodes.childPath(oldParent, oldName);
            String to = nodes.childPath(newParent, newName);
            if (nodes.isOpenUnderOnlyThisName(newParent, newName)) {
                hide(newParent, newName, to, true);
            }
            fs.rename(from, to, copied);
            nodes.renamed(oldParent, oldName, newParent, newName);
            return 0;
        }
    }

    /**
     * RENAME2 with RENAME_EXCHANGE: the two entries swap (see {@link OverlayFs#exchange}), and so
     * do their nodes, as the kernel swaps the two dentries.
     */
    int exchange(long oldParent, int length) {
        long newParent = mem.getLong(IN);
        int oldEnd = nul(mem, IN + 16, length); // fuse_rename2_in: newdir, flags, padding, the names
        String oldName = string(mem, IN + 16, oldEnd);
        String newName = name(mem, oldEnd + 1, length);
        int copiedFirst = copyUpFirst(oldParent, oldName, newParent, newName, true);
        NodeTable.Node a = nodes.find(oldParent, oldName);
        NodeTable.Node b = nodes.find(newParent, newName);
        int copied;
        try (Changing c = changing(oldParent, newParent, a, b)) {
            copied = fs.exchange(nodes.childPath(oldParent, oldName), nodes.childPath(newParent, newName), copiedFirst);
            nodes.exchanged(oldParent, oldName, newParent, newName);
        }
        // a file copied up on the way reports another inode number (and link count) than the
        // kernel cached for its node: drop those attributes (no directory lock taken, so before
        // the reply is fine; AfterRequest does this for a RENAME by name, not knowing the node)
        if ((copied & OverlayFs.EXCHANGE_COPIED_A) != 0 && a != null) {
            mount.notifier.invalInode(a.id, -1, 0);
        }
        if ((copied & OverlayFs.EXCHANGE_COPIED_B) != 0 && b != null) {
            mount.notifier.invalInode(b.id, -1, 0);
        }
        return 0;
    }
}
