package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.junit.jupiter.api.Test;

class NodeTableTest {
    private final NodeTable t = new NodeTable();

    @Test
    void oneNodePerNameCountedByLookups() {
        long a = t.lookedUp(NodeTable.ROOT, "a");
        assertEquals(a, t.lookedUp(NodeTable.ROOT, "a"));
        long b = t.lookedUp(a, "b");
        assertEquals("/", t.path(NodeTable.ROOT));
        assertEquals("/a/b", t.path(b));
        assertEquals("/a/c", t.childPath(a, "c"));
        t.forget(a, 1);
        assertEquals("/a", t.path(a));
        t.forget(a, 1);
        assertEquals("/a/b", t.path(b)); // a directory with a name of a known node in it stays
        t.forget(b, 1);
        assertNull(t.get(b));
        assertNull(t.get(a)); // and goes with the last one
        assertNotEquals(a, t.lookedUp(NodeTable.ROOT, "a")); // ids are not reused
    }

    @Test
    void aNameIsHeldWhileTheKernelHoldsALookupOfItsNode() {
        assertFalse(t.held(NodeTable.ROOT, "d"));
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long x = t.lookedUp(d, "x");
        assertTrue(t.held(NodeTable.ROOT, "d"));
        assertTrue(t.held(d, "x"));
        assertFalse(t.held(d, "y"));
        t.forget(d, 1);
        assertNotNull(t.get(d)); // it stays for the name of x in it, but the kernel no longer holds it
        assertFalse(t.held(NodeTable.ROOT, "d"));
        t.renamed(d, "x", d, "y");
        assertFalse(t.held(d, "x"));
        assertTrue(t.held(d, "y"));
        t.removed(d, "y");
        assertFalse(t.held(d, "y"));
        assertNotNull(t.get(x));
    }

    @Test
    void aHeldNameCountsAsAUseOfItsNodeForPruning() {
        long a = t.lookedUp(NodeTable.ROOT, "a");
        long[] cold = new long[8];
        assertEquals(0, t.coldNodes(cold, false), "used by its lookup: spared once");
        assertTrue(t.held(NodeTable.ROOT, "a")); // a READDIRPLUS entry stands for a lookup
        assertEquals(0, t.coldNodes(cold, false), "used again: spared again");
        assertEquals(1, t.coldNodes(cold, false));
        assertEquals(a, cold[0]);
    }

    @Test
    void aRenameMovesTheNodeAndUnnamesTheOneReplaced() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long x = t.lookedUp(NodeTable.ROOT, "x");
        long y = t.lookedUp(d, "y");
        t.renamed(NodeTable.ROOT, "x", d, "y");
        assertEquals("/d/y", t.path(x));
        assertThrows(ErrnoException.class, () -> t.path(y));
        assertNull(t.pathOrNull(y));
        assertEquals(x, t.find(d, "y").id);
        t.forget(y, 1);
        assertNull(t.get(y));
    }

    @Test
    void pathsBelowARenamedDirectoryFollowIt() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long e = t.lookedUp(d, "e");
        long f = t.lookedUp(e, "f");
        assertEquals("/d/e/f", t.path(f)); // built, then cached
        t.renamed(NodeTable.ROOT, "d", NodeTable.ROOT, "g");
        assertEquals("/g/e/f", t.path(f));
        t.renamed(d, "e", NodeTable.ROOT, "h");
        assertEquals("/h/f", t.path(f));
        assertEquals("/g", t.path(d));
        t.removed(NodeTable.ROOT, "h");
        assertNull(t.pathOrNull(f));
    }

    @Test
    void aPathBuiltOnItsParentsCachedPathFollowsTheParentsMoves() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long e = t.lookedUp(d, "e");
        assertEquals("/d/e", t.path(e)); // cached: the next node below is built on it
        long f = t.lookedUp(e, "f");
        assertEquals("/d/e/f", t.path(f));
        t.renamed(NodeTable.ROOT, "d", NodeTable.ROOT, "g");
        long h = t.lookedUp(e, "h");
        assertEquals("/g/e/h", t.path(h));
        assertEquals("/g/e/f", t.path(f));
        t.removed(d, "e");
        assertNull(t.pathOrNull(h));
        assertNull(t.pathOrNull(f));
        assertEquals("/g/x", t.path(t.lookedUp(d, "x")));
    }

    @Test
    void anExchangeSwapsTheNodesAndThePathsBelowThem() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long f = t.lookedUp(d, "f");
        long e = t.lookedUp(NodeTable.ROOT, "e");
        long g = t.lookedUp(e, "g");
        assertEquals("/d/f", t.path(f)); // cached before the swap
        t.exchanged(NodeTable.ROOT, "d", NodeTable.ROOT, "e");
        assertEquals("/e", t.path(d));
        assertEquals("/e/f", t.path(f));
        assertEquals("/d/g", t.path(g));
        assertEquals(d, t.find(NodeTable.ROOT, "e").id);
        assertEquals(e, t.find(NodeTable.ROOT, "d").id);
        t.exchanged(d, "f", NodeTable.ROOT, "d"); // across directories, with an ancestor's name
        assertEquals("/d", t.path(f));
        assertEquals("/e/f", t.path(e));
        assertEquals("/e/f/g", t.path(g));
        t.exchanged(d, "f", d, "f");
        assertEquals("/e/f", t.path(e));
    }

    @Test
    void anExchangeWithANameTheKernelHoldsNoNodeForMovesTheOneNode() {
        long a = t.lookedUp(NodeTable.ROOT, "a");
        t.exchanged(NodeTable.ROOT, "a", NodeTable.ROOT, "b");
        assertEquals("/b", t.path(a));
        assertNull(t.find(NodeTable.ROOT, "a"));
        t.exchanged(NodeTable.ROOT, "c", NodeTable.ROOT, "b");
        assertEquals("/c", t.path(a));
        assertNull(t.find(NodeTable.ROOT, "b"));
    }

    @Test
    void aRemovedNameKeepsItsNodeWhileLookedUp() {
        long f = t.lookedUp(NodeTable.ROOT, "f");
        t.removed(NodeTable.ROOT, "f");
        assertNull(t.find(NodeTable.ROOT, "f"));
        assertTrue(t.get(f) != null);
        assertNull(t.pathOrNull(f));
        t.forget(f, 1);
        assertNull(t.get(f));
    }

    @Test
    void anOpenHiddenFileIsRemovedAtItsLastRelease() {
        long f = t.lookedUp(NodeTable.ROOT, "f");
        t.opened(f);
        t.opened(f);
        assertTrue(t.isOpenUnderOnlyThisName(NodeTable.ROOT, "f"));
        String hidden = t.hiddenName(f);
        assertTrue(hidden.startsWith(".fuse_hidden"));
        t.renamed(NodeTable.ROOT, "f", NodeTable.ROOT, hidden);
        t.markHidden(NodeTable.ROOT, hidden, "/" + hidden, false);
        t.forget(f, 1); // the kernel forgot the name; the open files keep the node
        assertEquals("/" + hidden, t.path(f));
        assertNull(t.released(f));
        assertEquals("/" + hidden, t.released(f));
        assertNull(t.get(f));
        assertFalse(t.isOpenUnderOnlyThisName(NodeTable.ROOT, hidden));
    }

    @Test
    void aHiddenFileKeepsItsPathWhenItsDirectoryIsRenamedOrRemoved() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long e = t.lookedUp(NodeTable.ROOT, "e");
        long f = t.lookedUp(d, "f");
        long g = t.lookedUp(e, "g");
        for (long id : new long[] {f, g}) {
            t.opened(id);
        }
        String hf = t.hiddenName(f);
        String hg = t.hiddenName(g);
        t.renamed(d, "f", d, hf);
        t.markHidden(d, hf, "/d/" + hf, false);
        t.renamed(e, "g", e, hg);
        t.markHidden(e, hg, "/e/" + hg, false);
        t.removed(NodeTable.ROOT, "d"); // rmdir: OverlayFs keeps the hidden file under its old path
        t.renamed(NodeTable.ROOT, "e", NodeTable.ROOT, "e2");
        assertEquals("/d/" + hf, t.path(f));
        assertEquals("/e/" + hg, t.path(g));
        assertEquals("/d/" + hf, t.released(f));
        assertEquals("/e/" + hg, t.released(g));
    }

    @Test
    void everyNameOfAnUpperFileWithSeveralLinksIsOneNode() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long a = t.lookedUp(NodeTable.ROOT, "a", 77, false);
        assertEquals(a, t.lookedUp(d, "b", 77, false));
        assertEquals(a, t.find(d, "b").id);
        assertEquals("/a", t.path(a));
        assertNotEquals(a, t.lookedUp(NodeTable.ROOT, "c", 78, false)); // another file
        assertNotEquals(a, t.lookedUp(NodeTable.ROOT, "lower")); // a lower file keeps a node per name
        // the first name goes: the next one is the node's path
        t.removed(NodeTable.ROOT, "a");
        assertEquals("/d/b", t.path(a));
        assertNull(t.find(NodeTable.ROOT, "a"));
        // renaming the one left moves it
        t.renamed(d, "b", NodeTable.ROOT, "e");
        assertEquals("/e", t.path(a));
        assertEquals(a, t.lookedUp(d, "again", 77, false));
        t.removed(NodeTable.ROOT, "e");
        t.removed(d, "again");
        assertNull(t.pathOrNull(a));
        // nameless: a new file that reuses the inode number is another node
        assertNotEquals(a, t.lookedUp(NodeTable.ROOT, "new", 77, false));
    }

    @Test
    void aLinkNamesTheSourcesNode() {
        long a = t.lookedUp(NodeTable.ROOT, "a");
        assertEquals(a, t.linked(a, NodeTable.ROOT, "b", 90));
        assertEquals(a, t.lookedUp(NodeTable.ROOT, "c", 90, false)); // found by inode from now on
        t.forget(a, 1);
        t.forget(a, 1);
        assertEquals("/a", t.path(a)); // one lookup is left
        t.forget(a, 1);
        assertNull(t.get(a));
        assertNull(t.find(NodeTable.ROOT, "b"));
        assertNull(t.find(NodeTable.ROOT, "c"));
        assertNotEquals(a, t.lookedUp(NodeTable.ROOT, "b", 90, false));
    }

    @Test
    void aLinkOfAnUnnamedFileGivesItsNodeTheNameAsItsPath() {
        long tmp = t.lookedUp(NodeTable.ROOT, "/1f"); // O_TMPFILE's reserved name
        t.opened(tmp);
        assertEquals(tmp, t.linked(tmp, NodeTable.ROOT, "named", 0));
        assertEquals("/named", t.path(tmp));
        assertNull(t.find(NodeTable.ROOT, "/1f"));
    }

    @Test
    void anOpenFileIsHiddenOnlyWhenItLosesItsLastName() {
        long a = t.lookedUp(NodeTable.ROOT, "a", 5, false);
        t.lookedUp(NodeTable.ROOT, "b", 5, false);
        t.opened(a);
        assertFalse(t.isOpenUnderOnlyThisName(NodeTable.ROOT, "a"));
        t.removed(NodeTable.ROOT, "a");
        assertTrue(t.isOpenUnderOnlyThisName(NodeTable.ROOT, "b"));
        assertEquals("/b", t.path(a));
    }

    @Test
    void renamesAndExchangesMoveTheNameTheyName() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long a = t.lookedUp(NodeTable.ROOT, "a", 9, false);
        t.lookedUp(d, "b", 9, false);
        long x = t.lookedUp(NodeTable.ROOT, "x");
        t.renamed(d, "b", d, "c"); // not the first name: the path stays
        assertEquals("/a", t.path(a));
        assertEquals(a, t.find(d, "c").id);
        t.renamed(NodeTable.ROOT, "x", d, "c"); // replaces one name of a
        assertEquals("/d/c", t.path(x));
        assertEquals("/a", t.path(a));
        t.lookedUp(d, "b", 9, false);
        t.exchanged(NodeTable.ROOT, "a", d, "c"); // a's first name for x's
        assertEquals("/d/c", t.path(a));
        assertEquals("/a", t.path(x));
        assertEquals(a, t.find(d, "b").id);
        t.exchanged(d, "c", d, "b"); // two names of one file
        assertEquals(a, t.find(d, "c").id);
        assertEquals(a, t.find(d, "b").id);
        t.renamed(d, "b", d, "c"); // likewise: rename(2) leaves both
        assertEquals(a, t.find(d, "b").id);
    }

    @Test
    void aNodeReplacedByARenameIsStaleOneRemovedIsGone() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long f = t.lookedUp(d, "f");
        long g = t.lookedUp(NodeTable.ROOT, "g");
        long x = t.lookedUp(NodeTable.ROOT, "x");
        t.renamed(NodeTable.ROOT, "x", NodeTable.ROOT, "d"); // over a directory (empty to the layers)
        assertEquals(Errno.ESTALE, assertThrows(ErrnoException.class, () -> t.path(d)).errno());
        assertEquals(Errno.ESTALE, assertThrows(ErrnoException.class, () -> t.path(f)).errno());
        t.removed(NodeTable.ROOT, "g");
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> t.path(g)).errno());
        assertEquals("/d", t.path(x));
    }

    @Test
    void anOpenFileReplacedByARenameIsStaleOnceReleased() {
        long f = t.lookedUp(NodeTable.ROOT, "f");
        t.opened(f);
        String hidden = t.hiddenName(f);
        t.renamed(NodeTable.ROOT, "f", NodeTable.ROOT, hidden);
        t.markHidden(NodeTable.ROOT, hidden, "/" + hidden, true);
        assertEquals("/" + hidden, t.released(f));
        assertNull(t.find(NodeTable.ROOT, hidden));
        assertEquals(Errno.ESTALE, assertThrows(ErrnoException.class, () -> t.path(f)).errno());
    }
    /**
     * The kernel forgets a directory once no dentry below it is left, which for a file with several
     * names happens while the file's node lives on through a name elsewhere (drop_caches, memory
     * pressure): the names below that directory must still make paths, and a later lookup of the
     * directory must find them (h-val2: ENOENT for every path request on the file before).
     */
    @Test
    void aForgottenDirectoryKeepsTheNamesOfFilesStillKnownByOthers() {
        long d1 = t.lookedUp(NodeTable.ROOT, "d1");
        long d2 = t.lookedUp(NodeTable.ROOT, "d2");
        long a = t.lookedUp(d1, "a", 42, false);
        assertEquals(a, t.linked(a, d2, "b", 42));
        t.forget(a, 1); // the dentry d1/a goes; d2/b keeps the inode
        t.forget(d1, 1); // and then d1's
        assertEquals("/d1/a", t.path(a));
        long again = t.lookedUp(NodeTable.ROOT, "d1");
        assertEquals(a, t.lookedUp(again, "a", 42, false));
        t.removed(again, "a"); // rm d1/a
        assertEquals("/d2/b", t.path(a));
        assertNull(t.find(again, "a"));
        t.forget(again, 1);
        assertNull(t.get(again)); // nothing in it is known any more
        assertNull(t.find(NodeTable.ROOT, "d1"));
        // a forgotten directory goes with the last node named in it
        long e = t.lookedUp(NodeTable.ROOT, "e");
        long f = t.lookedUp(e, "f", 43, false);
        assertEquals(f, t.linked(f, d2, "g", 43));
        t.forget(f, 1);
        t.forget(e, 1);
        assertEquals(e, t.lookedUp(NodeTable.ROOT, "e")); // found again, with the name in it
        assertEquals(f, t.find(e, "f").id);
        t.forget(e, 1);
        t.forget(f, 1);
        assertNull(t.get(f));
        assertNull(t.get(e));
        assertNull(t.find(NodeTable.ROOT, "e"));
        assertNull(t.find(d2, "g"));
        assertNotNull(t.get(d2));
    }

    @Test
    void aDirectoryHasChildrenWhileANodeIsNamedInIt() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long e = t.lookedUp(NodeTable.ROOT, "e");
        NodeTable.Node dn = t.get(d);
        NodeTable.Node en = t.get(e);
        assertFalse(t.hasChildren(dn, en));
        long x = t.lookedUp(d, "x");
        assertTrue(t.hasChildren(dn, null));
        assertTrue(t.isOnPath(x, dn, null));
        assertTrue(t.isOnPath(d, dn, null));
        assertFalse(t.isOnPath(x, en, null));
        t.renamed(d, "x", e, "x");
        assertFalse(t.hasChildren(dn, null));
        assertTrue(t.hasChildren(en, null));
        assertTrue(t.isOnPath(x, null, en));
        t.exchanged(NodeTable.ROOT, "d", NodeTable.ROOT, "e"); // the directories swap, their nodes keep theirs
        assertTrue(t.hasChildren(en, null));
        assertFalse(t.hasChildren(dn, null));
        t.removed(e, "x"); // still looked up, but named nowhere
        assertFalse(t.hasChildren(en, null));
        long y = t.lookedUp(d, "y");
        assertTrue(t.hasChildren(dn, null));
        t.forget(y, 1);
        assertFalse(t.hasChildren(dn, null));
        assertTrue(t.hasChildren(t.get(NodeTable.ROOT), null));
    }

    @Test
    void coldNodesAreThoseUnusedSinceTheLastSweepAndNeverOpenOrParentsOfKnownNames() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long a = t.lookedUp(d, "a");
        long b = t.lookedUp(d, "b");
        long open = t.lookedUp(d, "open");
        t.opened(open);
        long[] out = new long[16];
        assertEquals(0, t.coldNodes(out, false)); // all just looked up: each spared once
        t.path(a); // used again since
        java.util.Set<Long> cold = ids(out, t.coldNodes(out, false));
        assertEquals(java.util.Set.of(b), cold); // not a (used), d (names in it), open, the root
        t.forget(b, 1);
        assertEquals(java.util.Set.of(a), ids(out, t.coldNodes(out, false))); // unused since the last sweep
        t.forget(a, 1);
        t.released(open);
        assertEquals(0, t.coldNodes(out, false)); // closed, but used since the last sweep that counted it
        assertEquals(java.util.Set.of(open), ids(out, t.coldNodes(out, false)));
        t.forget(open, 1);
        assertEquals(0, t.coldNodes(out, false));
        assertEquals(java.util.Set.of(d), ids(out, t.coldNodes(out, false))); // nothing named in it any more
        assertEquals(2, t.size());
    }

    @Test
    void theTableSaysWhenItGrowsAboveItsLimit() {
        int[] calls = new int[1];
        t.limit(3, () -> calls[0]++);
        long a = t.lookedUp(NodeTable.ROOT, "a");
        t.lookedUp(NodeTable.ROOT, "b");
        assertEquals(0, calls[0]);
        t.lookedUp(NodeTable.ROOT, "c");
        t.lookedUp(NodeTable.ROOT, "a"); // no new node
        assertEquals(1, calls[0]);
        assertEquals(4, t.size());
        t.forget(a, 2);
        assertEquals(3, t.size());
    }

    private static java.util.Set<Long> ids(long[] out, int n) {
        java.util.Set<Long> s = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            s.add(out[i]);
        }
        return s;
    }
}
