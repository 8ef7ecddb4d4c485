package org.dockerontop.fuse.parity;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** After each test: force away any mount or FUSE process a failed or timed-out test left behind. */
public final class LeaveNoMounts implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        MountRegistry.cleanUpAll();
    }
}
