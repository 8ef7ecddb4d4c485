package org.dockerontop.fuse.parity;

/** What a parity test does on a mount; run once on the kernel overlay and once on the filesystem under test. */
@FunctionalInterface
public interface Scenario {
    void run(Ops ops) throws Exception;
}
