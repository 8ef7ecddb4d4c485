package org.dockerontop.plugin;

import org.dockerontop.plugin.http.RecordingVolumeService;

/**
 * The daemon exactly as {@link Main#main} runs it, but serving a {@link RecordingVolumeService}: lets tests
 * (and the RSS measurement) run the real process life cycle — start-up, SIGTERM, kill -9 — without mounting
 * anything. {@code java -cp docker-on-top.jar:test-classes org.dockerontop.plugin.FakeVolumesDaemon --socket ...}
 */
public final class FakeVolumesDaemon {
    private FakeVolumesDaemon() {
    }

    public static void main(String[] args) {
        System.exit(Main.run(args, System.out, System.err, (root, strategy) -> new RecordingVolumeService()));
    }
}
