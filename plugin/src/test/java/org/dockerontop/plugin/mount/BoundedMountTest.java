package org.dockerontop.plugin.mount;

import org.dockerontop.overlay.mount.MountException;
import org.dockerontop.overlay.mount.Syscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hand-over between a mount and a caller that gives up on it: exactly one of them decides, so a mount is either
 * seen by its caller or never attached. (HungBaseTest gives up on real kernel mounts over a stopped FUSE base.)
 */
class BoundedMountTest {
    @TempDir
    Path tmp;

    @Test
    void aMountThatReturnsAfterItWasGivenUpOnIsNotAttached() throws Exception {
        Path mp = tmp.resolve("a");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch returned = new CountDownLatch(1);
        AtomicBoolean attached = new AtomicBoolean();

        assertThrows(TimeoutException.class, () -> BoundedMount.run(mp, Duration.ofMillis(100), attach -> {
            try {
                release.await();
                if (attach.getAsBoolean()) {
                    attached.set(true);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                returned.countDown();
            }
        }));

        assertTrue(BoundedMount.givenUpAt(mp).isPresent(), "still waiting");
        release.countDown();
        assertTrue(returned.await(10, TimeUnit.SECONDS));
        awaitReturned(mp);
        assertFalse(attached.get(), "its gate said not to attach");
    }

    @Test
    void aMountAttachingWhenTheTimeoutEndsIsWaitedFor() throws Exception {
        Path mp = tmp.resolve("b");
        // passes its gate at once, then takes longer than the timeout to attach: the caller must see it succeed
        BoundedMount.run(mp, Duration.ofMillis(50), attach -> {
            assertTrue(attach.getAsBoolean());
            sleep(500);
        });
        assertTrue(BoundedMount.givenUpAt(mp).isEmpty());
    }

    @Test
    void aMountFailingAfterItWasGivenUpOnIsForgotten() throws Exception {
        Path mp = tmp.resolve("c");
        assertThrows(TimeoutException.class, () -> BoundedMount.run(mp, Duration.ofMillis(50), attach -> {
            sleep(300);
            throw new MountException(Syscalls.EINVAL, "refused");
        }));
        awaitReturned(mp);
    }

    @Test
    void aMountsOwnFailureReachesItsCaller() {
        MountException e = assertThrows(MountException.class, () -> BoundedMount.run(tmp.resolve("d"),
                Duration.ofSeconds(10), attach -> {
                    throw new MountException(Syscalls.ENOENT, "no such layer");
                }));
        assertEquals(Syscalls.ENOENT, e.errno());
    }

    private static void awaitReturned(Path mp) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (BoundedMount.givenUpAt(mp).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(BoundedMount.givenUpAt(mp).isEmpty(), "forgotten once it returned");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
