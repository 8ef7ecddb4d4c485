package org.dockerontop.plugin.http;

import org.dockerontop.plugin.volume.VolumeException;
import org.dockerontop.plugin.volume.VolumeInfo;
import org.dockerontop.plugin.volume.VolumeService;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A volume service the protocol tests control: it records each call it receives and answers with fixed
 * volumes, or throws whatever the test sets with {@link #failNextWith} (a faulty collaborator on demand).
 * The real service is tested by the volumes work stream; here only the protocol layer is under test.
 */
public final class RecordingVolumeService implements VolumeService {
    static final Instant CREATED = Instant.parse("2026-11-28T04:05:06.789Z");
    static final Path MOUNTPOINT = Path.of("/var/lib/docker-on-top/v1/mountpoint");

    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<CountDownLatch> block = new AtomicReference<>();
    private final CountDownLatch entered = new CountDownLatch(1);

    /** The next call throws {@code t} (a VolumeException, or anything unexpected). */
    public void failNextWith(Throwable t) {
        failure.set(t);
    }

    /**
     * The next call blocks until {@code release} opens, like a mount that takes its time.
     *
     * @return opens once that call has started (and is blocking)
     */
    public CountDownLatch blockNextUntil(CountDownLatch release) {
        block.set(release);
        return entered;
    }

    private void call(String call) throws VolumeException {
        CountDownLatch release = block.getAndSet(null);
        if (release != null) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VolumeException("interrupted");
            }
        }
        calls.add(call);
        Throwable t = failure.getAndSet(null);
        if (t instanceof VolumeException e) {
            throw e;
        } else if (t instanceof RuntimeException e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        }
    }

    static Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("base", "/srv/data");
        status.put("volatile", false);
        status.put("mounted", true);
        status.put("activeMounts", 2);
        status.put("strategy", "overlay");
        return status;
    }

    @Override
    public void create(String name, Map<String, String> options) throws VolumeException {
        call("create " + name + " " + new java.util.TreeMap<>(options));
    }

    @Override
    public void remove(String name) throws VolumeException {
        call("remove " + name);
    }

    @Override
    public Path mount(String name, String id) throws VolumeException {
        call("mount " + name + " " + id);
        return MOUNTPOINT;
    }

    @Override
    public void unmount(String name, String id) throws VolumeException {
        call("unmount " + name + " " + id);
    }

    @Override
    public Path path(String name) throws VolumeException {
        call("path " + name);
        return name.equals("v1") ? MOUNTPOINT : null;
    }

    /** A Status value the service may (wrongly) hand back, e.g. one JSON cannot encode. */
    public volatile Object extraStatusValue;

    @Override
    public VolumeInfo get(String name) throws VolumeException {
        call("get " + name);
        Map<String, Object> status = status();
        if (extraStatusValue != null) {
            status.put("extra", extraStatusValue);
        }
        return new VolumeInfo(name, name.equals("v1") ? MOUNTPOINT : null, CREATED, status);
    }

    @Override
    public List<VolumeInfo> list() throws VolumeException {
        call("list");
        return List.of(new VolumeInfo("v1", MOUNTPOINT, CREATED, status()),
                new VolumeInfo("v2", null, CREATED, Map.of()));
    }
}
