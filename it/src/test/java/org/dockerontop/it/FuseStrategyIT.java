package org.dockerontop.it;

/** Every scenario with the daemon forced to the FUSE overlay, on a host where the kernel overlay would work too. */
class FuseStrategyIT extends FuseScenarios {
    @Override
    protected String daemonStrategy() {
        return "fuse";
    }
}
