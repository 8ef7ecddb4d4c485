package org.dockerontop.fuse;

import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;

import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;

/**
 * The kernel's nodes as {@link JavaLoop} hands them out: one node per name (parent node, name), as
 * libfuse 2's high-level API keeps them in {@code struct fuse}, except that every name of a
 * non-directory with several links in the upper layer is one node, keyed by its upper inode, as
 * a lowlevel filesystem answers hard links and as the kernel overlay makes them one inode (one
 * page cache, one set of attributes). {@link OverlayFs} keeps working on paths, built from a
 * node's first name ({@link Node#parent}, {@link Node#name}) on each request as libfuse's
 * {@code get_path} builds them; any other names are {@link Node#more}. A node lives while the
 * kernel holds lookups on it (every entry reply counts one, FORGET and BATCH_FORGET give them
 * back) or while it has open files (an open file losing its last name keeps its node under a
 * hidden name, as libfuse does without {@code hard_remove}: see {@link OverlayFs#hide}); a
 * directory also while a node still known is named in it ({@link Node#names}).
 *
 * <p>Lower files with several links keep one node per name: the kernel overlay (without
 * {@code index}) also gives each name its own inode, because a copy-up through one name splits it
 * from the others.
 *
 * <p>Node ids come from a counter and are never reused while the table lives (a 64-bit counter
 * does not wrap), so every generation is 0. A node that lost its names (removed, or replaced by a
 * rename) stays reachable by id only: its path is unknown, and path-based requests on it fail with
 * ENOENT as under libfuse. One lock for every change of the table, as libfuse has; nothing here
 * makes a system call.
 *
 * <p>Reads of a node by id and of its path take no lock (every request of both workers makes one,
 * and contended monitors cost ~6% of the user CPU: findings 27 and 29): ids are never reused, so a
 * node found by id is that id's node; a node's path is cached with the {@link #moves} count it was
 * built at, and every change of a first name bumps that count <em>before</em> it changes anything,
 * so a cached path whose count is still current was the node's path at the moment the count was
 * read. A path that has to be built is built under the lock.
 */
final class NodeTable {
    static final long ROOT = 1;

    /** A node: where it is named (null name: nowhere), and what the kernel and open files hold. */
    static final class Node {
        final long id;
        /** A directory: the kernel cannot be made to forget one safely without {@code FUSE_NOTIFY_PRUNE} ({@link NodePruner}). */
        final boolean dir;
        Node parent;
        /** A byte string (one char per byte) as OverlayFs's paths are; null once unnamed. */
        String name;
        /** Its names beyond the first, as (parent, name) pairs; null while it has one name or none. Under the lock. */
        java.util.ArrayList<Name> more;
        /** The upper inode all its names share if it has several links there ({@link #byUpperInode}), else 0. */
        long upperIno;
        long lookups;
        int openCount;
        /**
         * How many names of nodes in the table are in this directory. A directory stays while it
         * has any, even once the kernel forgot it: a file with several names lives on through one
         * elsewhere when the kernel drops the dentries of the others and then their directory, and
         * the names there must still make paths (and be found by a lookup of that directory again).
         * Under the lock.
         */
        int names;
        /** It lost its last name to a rename over it (see {@link NodeTable#path}). Under the lock. */
        boolean replaced;
        /**
         * Renamed to a hidden name while open instead of unlinked: the path {@link OverlayFs} keeps
         * it under (removed at its last release), else null. It stays the node's path even when a
         * directory above it is renamed or removed later, which OverlayFs does not follow. Written
         * under the lock, read without it.
         */
        volatile String hidden;
        /**
         * A directory's path as last built, valid while {@link NodeTable#moves} is the one it was
         * built at. Files have none: theirs is one concatenation away from their directory's, and
         * a cached path per file cost ~70 bytes per file the kernel caches (a third of a walked
         * file's heap), mostly for paths used once.
         */
        volatile CachedPath path;
        /**
         * Used since {@link NodeTable#coldNodes} last looked: set by every lookup and path of it,
         * cleared by that sweep (a second chance, as a clock page cache keeps hot pages). Plain,
         * not volatile: a lost write only makes a node look colder than it is for one sweep.
         */
        boolean used;

        Node(long id, Node parent, String name, boolean dir) {
            this.id = id;
            this.dir = dir;
            this.parent = parent;
            this.name = name;
        }
    }

    /** A path and the {@link #moves} count it was built at: one object, so that a reader never sees one without the other. */
    private static final class CachedPath {
        final String path;
        final long moves;

        CachedPath(String path, long moves) {
            this.path = path;
            this.moves = moves;
        }
    }

    /** One more name of a node (see {@link Node#more}). */
    private static final class Name {
        final Node parent;
        final String name;

        Name(Node parent, String name) {
            this.parent = parent;
            this.name = name;
        }
    }

    /** Written under the lock, read without it. */
    private final NodesById byId = new NodesById();
    private final NodesByName byName = new NodesByName();
    /** Nodes of upper files with several links, by upper inode number: what gives every name one node. */
    private final Map<Long, Node> byUpperInode = new HashMap<>();
    private long next = ROOT + 1;
    private int hideCounter;
    /** Nodes in {@link #byId}, the root included. Written under the lock. */
    private volatile int size = 1;
    /** Above this many nodes {@link #overfull} is told (see {@link NodePruner}); written once, before serving. */
    private int limit = Integer.MAX_VALUE;
    private Runnable overfull = () -> { };
    /**
     * Bumped by every change of a name (rename, removal), which may move any path below it: a
     * node's cached path is valid while this has not changed. Names change rarely next to the
     * requests that build paths (every one of them), so nearly every path is built once. Written
     * under the lock, read without it (volatile: see the class comment).
     */
    private volatile long moves;

    NodeTable() {
        Node root = new Node(ROOT, null, "", true);
        root.lookups = 1; // never forgotten
        byId.add(root);
    }

    /** The node with id {@code id}, or null if the kernel holds no such node (any more). */
    Node get(long id) {
        return byId.get(id);
    }

    /**
     * The path of node {@code id} ("/" for the root, "/a/b" below it).
     *
     * @throws ErrnoException ESTALE if the node, or a directory above it, lost its name to a
     *         rename over it: the name is another file's now, which the caller's path walk would
     *         find again (the kernel repeats an open, stat, chmod... once, revalidating every
     *         dentry, when the filesystem answers ESTALE, as for NFS); ENOENT if the node or a
     *         parent was removed, or is unknown
     */
    String path(long id) {
        String p = pathOrNull(id);
        if (p == null) {
            throw new ErrnoException(replacedOnPath(id) ? Errno.ESTALE : Errno.ENOENT, "node " + id + " has no path");
        }
        return p;
    }

    /** Did node {@code id}, or a directory above it, lose its last name to a rename over it? */
    private synchronized boolean replacedOnPath(long id) {
        for (Node n = byId.get(id); n != null && n.id != ROOT; n = n.parent) {
            if (n.name == null) {
                return n.replaced;
            }
        }
        return false;
    }

    /** As {@link #path}, but null where libfuse's {@code get_path_nullok} gives no path. */
    String pathOrNull(long id) {
        if (id == ROOT) {
            return "/";
        }
        Node n = byId.get(id);
        if (n == null) {
            return null;
        }
        n.used = true;
        String hidden = n.hidden;
        if (hidden != null) {
            return hidden;
        }
        long now = moves;
        if (!n.dir) {
            String p = filePath(n, now);
            return p != null ? p : buildPath(n);
        }
        CachedPath c = n.path;
        // if moves is still the count the path was built at, no name had changed when it was read
        // (writers bump it before they change one), so the path was valid at that moment
        if (c != null && c.moves == now) {
            return c.path;
        }
        return buildPath(n);
    }

    /**
     * The path of file {@code n} from its directory's cached path, without the lock: null if that
     * path is not valid at {@code now} (read from {@link #moves} before), or if any name changed
     * while this one was read. Writers bump {@code moves} before they change a first name, so a
     * count unchanged after the reads means the parent and name read belong together, as a
     * sequence lock's readers check.
     */
    private String filePath(Node n, long now) {
        Node parent = n.parent;
        String name = n.name;
        if (parent == null || name == null) {
            return null;
        }
        String dir;
        if (parent.id == ROOT) {
            dir = "";
        } else {
            CachedPath pc = parent.path;
            if (pc == null || pc.moves != now) {
                return null;
            }
            dir = pc.path;
        }
        VarHandle.acquireFence(); // the reads above come before moves is read again
        return moves == now ? dir + "/" + name : null;
    }

    /** Builds the path of {@code n}, under the lock: null if it or a directory above it has no name. */
    private synchronized String buildPath(Node n) {
        if (n.hidden != null) {
            return n.hidden; // hidden meanwhile
        }
        long now = moves;
        if (n.dir) {
            return dirPath(n, now);
        }
        Node parent = n.parent;
        if (n.name == null || parent == null) {
            return null;
        }
        String dir = dirPath(parent, now);
        return dir == null ? null : dir + "/" + n.name;
    }

    /**
     * The path of directory {@code d} ("" for the root), valid at {@code now}: from the nearest
     * directory above it whose cached path is, caching it for every directory on the way (so the
     * next request below any of them is one concatenation). Under the lock; null if a directory on
     * the way has no name.
     */
    private String dirPath(Node d, long now) {
        java.util.ArrayList<Node> below = null;
        String path;
        for (Node x = d; ; x = x.parent) {
            if (x.id == ROOT) {
                path = "";
                break;
            }
            CachedPath c = x.path;
            if (c != null && c.moves == now) {
                path = c.path;
                break;
            }
            if (x.name == null || x.parent == null) {
                return null;
            }
            if (below == null) {
                below = new java.util.ArrayList<>(8);
            }
            below.add(x);
        }
        if (below != null) {
            for (int i = below.size() - 1; i >= 0; i--) {
                Node x = below.get(i);
                path = path + "/" + x.name;
                x.path = new CachedPath(path, now);
            }
        }
        return path;
    }

    /** How many nodes the table holds, the root included. */
    int size() {
        return size;
    }

    /** How many nodes were ever made (ids are not reused): with {@link #size}, how many went. */
    synchronized long made() {
        return next - ROOT;
    }

    /**
     * Calls {@code overfull} (under the table's lock: it must only signal) whenever a new node
     * takes the table above {@code limit} nodes. Set before the mount is served.
     */
    void limit(int limit, Runnable overfull) {
        this.limit = limit;
        this.overfull = overfull;
    }

    /**
     * Fills {@code out} with ids of nodes not used since the previous call (as a clock sweeps: a
     * node used since is spared once and marked unused), skipping the root, nodes with open
     * files or a hidden name, and directories with known names in them: those the kernel cannot
     * drop (yet), and with {@code filesOnly} directories. Takes no lock; what it reads
     * may be a moment old, which costs at most a node the kernel keeps because it is in use.
     *
     * @return how many ids it wrote, at most {@code out.length}
     */
    int coldNodes(long[] out, boolean filesOnly) {
        int n = 0;
        for (Node x : byId) {
            if (n == out.length) {
                break;
            }
            // a directory with known names in it cannot go before they do (their dentries hold its own)
            if (x.id == ROOT || x.openCount > 0 || x.hidden != null || x.names > 0 || (filesOnly && x.dir)) {
                continue;
            }
            if (x.used) {
                x.used = false;
            } else {
                out[n++] = x.id;
            }
        }
        return n;
    }

    /**
     * The names of node {@code id}: its directories' ids into {@code parents} and the names into
     * {@code names}, the first name first.
     *
     * @return how many, at most the arrays' length; 0 for a node unknown or without a name
     */
    synchronized int namesOf(long id, long[] parents, String[] names) {
        Node n = byId.get(id);
        if (n == null || n.name == null) {
            return 0;
        }
        parents[0] = n.parent.id;
        names[0] = n.name;
        int k = 1;
        if (n.more != null) {
            for (Name x : n.more) {
                if (k == parents.length) {
                    break;
                }
                parents[k] = x.parent.id;
                names[k++] = x.name;
            }
        }
        return k;
    }

    /**
     * The node the kernel holds for path {@code p} ("/" or "/a/b"), found name by name from the
     * root, or 0 if it holds none (for {@link OverlayFs.NodeIds}). A directory the kernel forgot
     * is still found while a node is named in it ({@link Node#names}): dropping its attributes
     * then does nothing.
     */
    synchronized long idOf(String p) {
        long id = ROOT;
        for (int i = 1; i < p.length(); ) {
            int j = p.indexOf('/', i);
            if (j < 0) {
                j = p.length();
            }
            Node n = byName.get(id, p.substring(i, j));
            if (n == null) {
                return 0;
            }
            id = n.id;
            i = j + 1;
        }
        return id;
    }

    /** The path of {@code name} in directory {@code parent}, as libfuse's {@code get_path_name} builds it. */
    String childPath(long parent, String name) {
        String p = path(parent);
        return p.length() == 1 ? "/" + name : p + "/" + name;
    }

    /**
     * Has {@code a} or {@code b} (either may be null) a node named in it ({@link Node#names})?
     * Only then can a rename of it change the path of another node (see {@link DirectoryMoves}).
     */
    synchronized boolean hasChildren(Node a, Node b) {
        return (a != null && a.names > 0) || (b != null && b.names > 0);
    }

    /** Is {@code a} or {@code b} (either may be null) node {@code id}, or a directory above it? */
    synchronized boolean isOnPath(long id, Node a, Node b) {
        for (Node n = byId.get(id); n != null; n = n.parent) {
            if (n == a || n == b) {
                return true;
            }
        }
        return false;
    }

    /** The node named {@code name} in {@code parent}, or null. */
    synchronized Node find(long parent, String name) {
        return byName.get(parent, name);
    }

    /**
     * Does the kernel hold a lookup of the node {@code name} in {@code parent} names? Then it has had
     * that name's entry and attributes from us, and a READDIRPLUS entry for the name need not be
     * another lookup: it may give node id 0, which the kernel takes as "no entry given" and keeps
     * what it has (fuse_direntplus_link). A name the kernel has meanwhile dropped only costs it a
     * LOOKUP later. A held node counts as used ({@link Node#used}), as the lookup it stands for did.
     */
    synchronized boolean held(long parent, String name) {
        Node n = byName.get(parent, name);
        if (n == null || n.lookups <= 0) {
            return false;
        }
        n.used = true;
        return true;
    }

    /** {@link #lookedUp(long, String, long, boolean)} of a non-directory that is not one of several links of an upper file. */
    synchronized long lookedUp(long parent, String name) {
        return lookedUp(parent, name, 0, false);
    }

    /**
     * Counts one lookup of {@code name} in {@code parent}, making its node if there is none: what
     * an entry reply hands the kernel (call before the reply is written).
     *
     * @param upperIno the upper inode of a non-directory with several links there, as
     *        {@link OverlayFs#sharedInode} tells it after the entry's attributes were read, else
     *        0: a name of such a file gets the node its other names have
     * @param dir whether the entry is a directory (kept for {@link NodePruner})
     * @return the node's id
     * @throws ErrnoException ENOENT if {@code parent} is no longer known
     */
    synchronized long lookedUp(long parent, String name, long upperIno, boolean dir) {
        Node n = byName.get(parent, name);
        if (n == null) {
            Node p = byId.get(parent);
            if (p == null) {
                throw new ErrnoException(Errno.ENOENT, "parent node " + parent + " is gone");
            }
            n = upperIno == 0 ? null : byUpperInode.get(upperIno);
            if (n != null) {
                addName(n, p, name);
            } else {
                n = new Node(next++, p, name, dir);
                p.names++;
                byId.add(n);
                if (++size > limit) {
                    overfull.run();
                }
            }
            byName.put(parent, name, n);
        }
        shareUpperInode(n, upperIno);
        n.lookups++;
        n.used = true;
        return n.id;
    }

    /**
     * A LINK gave node {@code source}'s file the name {@code name} in {@code parent}: the name
     * becomes one more of that node (the first, if the file had only the reserved name of an
     * O_TMPFILE file, see {@link UnnamedFiles}), and the reply counts one more lookup of it.
     *
     * @param upperIno as for {@link #lookedUp(long, String, long, boolean)}: the linked file's upper inode
     * @return the node's id, for the entry reply
     * @throws ErrnoException ENOENT if {@code parent} is no longer known
     */
    synchronized long linked(long source, long parent, String name, long upperIno) {
        Node n = byId.get(source);
        Node p = byId.get(parent);
        if (n == null || n.hidden != null || p == null || byName.get(parent, name) != null) {
            return lookedUp(parent, name, upperIno, false); // its own node, as libfuse gives it
        }
        if (n.name == null || UnnamedFiles.isReservedName(n.name)) {
            moves++; // the node's path changes
            Node old = null;
            if (n.name != null) {
                byName.remove(n.parent.id, n.name);
                old = n.parent;
            }
            n.parent = p;
            n.name = name;
            n.replaced = false;
            p.names++;
            if (old != null) {
                nameGone(old);
            }
        } else {
            addName(n, p, name);
        }
        byName.put(parent, name, n);
        shareUpperInode(n, upperIno);
        n.lookups++;
        return n.id;
    }

    private void addName(Node n, Node parent, String name) {
        parent.names++;
        if (n.name == null) {
            moves++; // a first name again: lock-free path readers must not pair its old parent with it
            n.parent = parent;
            n.name = name;
            n.replaced = false;
            return;
        }
        if (n.more == null) {
            n.more = new java.util.ArrayList<>(2);
        }
        n.more.add(new Name(parent, name));
    }

    /** Keys {@code n} by upper inode {@code upperIno} (if not 0), unless another node has that key. */
    private void shareUpperInode(Node n, long upperIno) {
        if (upperIno == 0 || n.upperIno == upperIno) {
            return;
        }
        Node other = byUpperInode.get(upperIno);
        if (other != null && other != n) {
            return; // the kernel holds both already: they stay two nodes, as under libfuse
        }
        unshareUpperInode(n);
        n.upperIno = upperIno;
        byUpperInode.put(upperIno, n);
    }

    /** Takes {@code n} out of {@link #byUpperInode}: its file has no name left that a lookup could find. */
    private void unshareUpperInode(Node n) {
        if (n.upperIno != 0) {
            byUpperInode.remove(n.upperIno, n);
            n.upperIno = 0;
        }
    }

    /** The kernel gave back {@code count} lookups of node {@code id}; the node goes at none, unless open. */
    synchronized void forget(long id, long count) {
        Node n = byId.get(id);
        if (n == null || id == ROOT) {
            return;
        }
        n.lookups -= count;
        if (n.lookups <= 0) {
            n.lookups = 0;
            dropIfUnused(n);
        }
    }

    private void dropIfUnused(Node n) {
        if (n.lookups > 0 || n.openCount > 0 || n.names > 0 || n.id == ROOT) {
            return;
        }
        if (n.more != null) {
            moves++; // its next names become its first in turn: lock-free path readers must not mix them
        }
        while (n.name != null) {
            byName.remove(n.parent.id, n.name, n);
            rename(n, n.parent.id, n.name, null, null);
        }
        unshareUpperInode(n);
        if (byId.remove(n)) {
            size--;
        }
    }

    /**
     * Gives {@code n}'s name {@code name} in {@code parent} the name {@code newName} in
     * {@code newParent} instead, or takes it away if {@code newParent} is null (its next name, if
     * any, becoming its first). {@link #byName} is the caller's to change.
     */
    private void rename(Node n, long parent, String name, Node newParent, String newName) {
        if (newParent != null) {
            newParent.names++; // before the old parent's count drops: it may be the same directory
        }
        if (n.name != null && n.parent.id == parent && n.name.equals(name)) {
            Node old = n.parent;
            if (newParent != null) {
                n.parent = newParent;
                n.name = newName;
            } else if (n.more != null) {
                Name next = n.more.remove(n.more.size() - 1);
                n.parent = next.parent;
                n.name = next.name;
                if (n.more.isEmpty()) {
                    n.more = null;
                }
            } else {
                n.name = null; // nameless now: nothing can find it by inode either
                unshareUpperInode(n);
            }
            nameGone(old);
            return;
        }
        if (n.more == null) {
            if (newParent != null) {
                nameGone(newParent); // no such name: nothing moved
            }
            return;
        }
        for (int i = 0; i < n.more.size(); i++) {
            Name x = n.more.get(i);
            if (x.parent.id == parent && x.name.equals(name)) {
                if (newParent != null) {
                    n.more.set(i, new Name(newParent, newName));
                } else {
                    n.more.remove(i);
                    if (n.more.isEmpty()) {
                        n.more = null;
                    }
                }
                nameGone(x.parent);
                return;
            }
        }
        if (newParent != null) {
            nameGone(newParent); // no such name: nothing moved
        }
    }

    /** A name in directory {@code dir} went: the directory goes too if nothing else holds it. */
    private void nameGone(Node dir) {
        dir.names--;
        if (dir.names == 0) {
            dropIfUnused(dir);
        }
    }

    /** {@code name} in {@code parent} was removed: its node, if any, keeps its id but loses that name. */
    synchronized void removed(long parent, String name) {
        Node n = byName.get(parent, name);
        if (n != null) {
            moves++; // the paths below it are gone (a forgotten node has nothing below it: no bump there)
            byName.remove(parent, name);
            rename(n, parent, name, null, null);
            dropIfUnused(n);
        }
    }

    /**
     * {@code oldName} in {@code oldParent} was renamed to {@code newName} in {@code newParent}: its
     * node moves; a node that had the new name loses it (it was replaced).
     */
    synchronized void renamed(long oldParent, String oldName, long newParent, String newName) {
        moves++;
        Node n = byName.get(oldParent, oldName);
        Node replaced = byName.get(newParent, newName);
        if (replaced != null && replaced == n) {
            return; // two names of one file: rename(2) leaves both
        }
        if (replaced != null) {
            byName.remove(newParent, newName);
            rename(replaced, newParent, newName, null, null);
            replaced.replaced = replaced.name == null;
            dropIfUnused(replaced);
        }
        if (n == null) {
            return;
        }
        n.hidden = null; // a name of its own again (only a caller naming the hidden name does this)
        byName.remove(oldParent, oldName);
        Node np = byId.get(newParent);
        rename(n, oldParent, oldName, np, newName);
        if (np != null) {
            byName.put(newParent, newName, n);
        }
        dropIfUnused(n);
    }

    /**
     * {@code nameA} in {@code parentA} and {@code nameB} in {@code parentB} swapped their entries
     * (RENAME_EXCHANGE): each one's node now has the other's name, as the kernel swaps the two
     * dentries. A node whose new parent is no longer known loses its name.
     */
    synchronized void exchanged(long parentA, String nameA, long parentB, String nameB) {
        Node a = byName.get(parentA, nameA);
        Node b = byName.get(parentB, nameB);
        if (a == b) {
            return; // one name, two names of one file, or neither known: no node changes its names
        }
        moves++; // every cached path below either may have changed
        byName.remove(parentA, nameA);
        byName.remove(parentB, nameB);
        Node pa = byId.get(parentA);
        Node pb = byId.get(parentB);
        if (a != null) {
            rename(a, parentA, nameA, pb, nameB);
        }
        if (b != null) {
            rename(b, parentB, nameB, pa, nameA);
        }
        if (a != null && pb != null) {
            byName.put(parentB, nameB, a);
        }
        if (b != null && pa != null) {
            byName.put(parentA, nameA, b);
        }
        if (a != null) {
            dropIfUnused(a);
        }
        if (b != null) {
            dropIfUnused(b);
        }
    }

    /**
     * Would removing {@code name} in {@code parent} take the last name of an open file? (libfuse's
     * {@code is_open}; a file with another name stays reachable through it instead of hidden.)
     */
    synchronized boolean isOpenUnderOnlyThisName(long parent, String name) {
        Node n = byName.get(parent, name);
        return n != null && n.openCount > 0 && n.more == null;
    }

    /** A file of node {@code id} was opened (after a successful OPEN or CREATE). */
    synchronized void opened(long id) {
        Node n = byId.get(id);
        if (n != null) {
            n.openCount++;
        }
    }

    /**
     * A file of node {@code id} was released.
     *
     * @return the node's hidden name's path if this was its last open file (to be removed now), else null
     */
    synchronized String released(long id) {
        Node n = byId.get(id);
        if (n == null) {
            return null;
        }
        n.openCount--;
        String unlink = null;
        if (n.openCount <= 0) {
            n.openCount = 0;
            if (n.hidden != null) {
                unlink = n.hidden;
                moves++; // its hidden name goes with the file: a lookup the kernel still holds finds no path
                n.hidden = null;
                if (n.name != null) {
                    byName.remove(n.parent.id, n.name, n);
                    rename(n, n.parent.id, n.name, null, null);
                }
            }
            dropIfUnused(n);
        }
        return unlink;
    }

    /** A hidden name for open node {@code id} (libfuse's {@code .fuse_hidden%08x%08x}). */
    synchronized String hiddenName(long id) {
        return String.format(".fuse_hidden%08x%08x", id & 0xffffffffL, hideCounter++);
    }

    /**
     * Marks the node now named {@code name} in {@code parent} as hidden (after the rename that hid
     * it): {@code path}, where {@link OverlayFs#hide} keeps it, is its path from now on, even when
     * a directory above it is renamed or removed. {@code replaced}: it was hidden because a rename
     * replaced its name, not by an unlink; once its last release removes it, requests on the node
     * then answer ESTALE rather than ENOENT (see {@link #path}).
     */
    synchronized void markHidden(long parent, String name, String path, boolean replaced) {
        Node n = byName.get(parent, name);
        if (n != null) {
            n.hidden = path;
            n.replaced = replaced;
            unshareUpperInode(n); // its file has no name a lookup could find any more
        }
    }
}
