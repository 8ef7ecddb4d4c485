package org.dockerontop.fuse;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker threads of one mount, for either request loop, and how the mount ends: when the
 * kernel ends the connection (unmount) every worker returns; on SIGTERM the mount is unmounted
 * first, so it never stays behind dead.
 */
final class FuseWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(FuseWorkers.class);

    /** Added to while serving (see {@link KernelCacheDrops}): joined by index, not iterated. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final Runnable body;
    /** Guards the teardown against a SIGTERM arriving while it runs. */
    private final Object lock = new Object();
    private boolean live = true;

    /** {@code body} serves requests until the connection ends. */
    FuseWorkers(Runnable body) {
        this.body = body;
    }

    /** Starts one more worker (also from {@link KernelCacheDrops#startWorkersWith}). */
    void startOne() {
        Thread t = new Thread(body, "fuse-worker-" + threads.size());
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /**
     * Waits until the workers end, then tears the session down. On SIGTERM meanwhile: {@code stop}
     * (under the teardown's lock, skipped once torn down), then {@code unmount}, then waits a few
     * seconds for the workers.
     *
     * @param late     stopped before the teardown; if it does not stop, {@code teardown} is skipped
     *                 (it would free what that thread still writes to) and an error is logged
     * @param teardown releases the session (the device, libfuse's structures)
     */
    void awaitEnd(Runnable stop, Runnable unmount, LateNotifications late, Runnable teardown) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (lock) {
                if (!live) {
                    return;
                }
                stop.run();
            }
            unmount.run();
            for (int i = 0; i < threads.size(); i++) {
                try {
                    threads.get(i).join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "fuse-unmount"));
        for (int i = 0; i < threads.size(); i++) {
            try {
                threads.get(i).join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean lateStopped = late.stop();
        synchronized (lock) {
            live = false;
            if (lateStopped) {
                teardown.run();
            } else {
                LOG.error("the cache invalidation thread did not stop; leaving the FUSE session open");
            }
        }
    }
}
