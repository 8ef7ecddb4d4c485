package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link DirectoryMoves}: who waits for whom, without a mount. */
@Timeout(30)
class DirectoryMovesTest {
    private final NodeTable t = new NodeTable();
    private final DirectoryMoves moves = new DirectoryMoves(t, new WorkerWaits(null));

    @Test
    void aDirectoryMoveWaitsForRequestsBelowItWhichWaitForTheMove() throws Exception {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long e = t.lookedUp(d, "e");
        long f = t.lookedUp(e, "f");
        long elsewhere = t.lookedUp(NodeTable.ROOT, "o");
        DirectoryMoves.Slot reader = moves.slot();
        DirectoryMoves.Slot mover = moves.slot();
        DirectoryMoves.Slot late = moves.slot();
        assertNull(moves.enter(reader, f, 0)); // a request on d/e/f, two levels below d

        DirectoryMoves.Move m = moves.begin(t.get(d), null);
        assertNotNull(m);
        assertNull(moves.enter(mover, NodeTable.ROOT, 0)); // the rename's own directory
        CountDownLatch drained = new CountDownLatch(1);
        Thread th = new Thread(() -> {
            moves.drain(m, mover);
            drained.countDown();
        });
        th.start();
        while (th.getState() != Thread.State.TIMED_WAITING && drained.getCount() > 0) {
            Thread.sleep(1);
        }
        assertEquals(1, drained.getCount(), "the move waits for the request below d");

        assertNull(moves.enter(late, elsewhere, 0), "a request elsewhere does not wait");
        moves.leave(late);
        assertSame(m, moves.enter(late, e, 0), "a request below d waits for the move");
        assertSame(m, moves.enter(late, NodeTable.ROOT, d), "so does one using d's path as its second");

        moves.leave(reader);
        assertTrue(drained.await(10, TimeUnit.SECONDS));
        t.renamed(NodeTable.ROOT, "d", NodeTable.ROOT, "g");
        moves.leave(mover);
        moves.end(m);
        assertNull(moves.enter(late, e, 0), "after the move, requests below go on");
        moves.leave(late);
    }

    @Test
    void aRequestWaitingForAMoveGoesOnWhenItEnds() throws Exception {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long x = t.lookedUp(d, "x");
        DirectoryMoves.Slot mover = moves.slot();
        DirectoryMoves.Slot reader = moves.slot();
        DirectoryMoves.Move m = moves.begin(t.get(d), null);
        assertNull(moves.enter(mover, NodeTable.ROOT, 0));
        moves.drain(m, mover); // nothing below d in flight
        DirectoryMoves.Move seen = moves.enter(reader, x, 0);
        assertSame(m, seen);
        CountDownLatch done = new CountDownLatch(1);
        Thread th = new Thread(() -> {
            moves.await(seen);
            done.countDown();
        });
        th.start();
        moves.leave(mover);
        moves.end(m);
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertNull(moves.enter(reader, x, 0));
        moves.leave(reader);
    }

    @Test
    void aRenameOfANodeWithNothingNamedInItIsNoDirectoryMove() {
        long d = t.lookedUp(NodeTable.ROOT, "d");
        long x = t.lookedUp(d, "x");
        assertNull(moves.begin(t.get(x), null));
        assertNull(moves.begin(null, null));
        DirectoryMoves.Move m = moves.begin(null, t.get(d));
        assertNotNull(m);
        moves.end(m);
    }
}
