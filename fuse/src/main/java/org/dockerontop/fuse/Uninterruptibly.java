package org.dockerontop.fuse;

import java.util.concurrent.CountDownLatch;

/** Waits that an interrupt does not end: what is awaited keeps a path or a copy-up right, so the wait goes on. */
final class Uninterruptibly {
    private Uninterruptibly() {
    }

    /** Waits until {@code latch} reaches zero; an interrupt meanwhile is kept in the thread's status. Never fails. */
    static void await(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
