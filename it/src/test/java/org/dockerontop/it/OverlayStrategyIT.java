package org.dockerontop.it;

/** Every scenario with the daemon forced to the kernel overlay (the production path). */
class OverlayStrategyIT extends VolumeScenarios {
    @Override
    protected String daemonStrategy() {
        return "overlay";
    }

    @Override
    protected String expectedStrategy() {
        return "overlay";
    }
}
