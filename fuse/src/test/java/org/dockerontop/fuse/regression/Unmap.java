package org.dockerontop.fuse.regression;

import java.lang.reflect.Field;
import java.nio.MappedByteBuffer;

/** Unmaps a MappedByteBuffer now rather than at some GC: a live mapping keeps the mount busy. */
final class Unmap {
    private Unmap() {}

    static void now(MappedByteBuffer buffer) {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            ((sun.misc.Unsafe) f.get(null)).invokeCleaner(buffer);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
