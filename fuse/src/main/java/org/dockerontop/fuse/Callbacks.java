package org.dockerontop.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;

/**
 * libfuse 2.9 {@code struct fuse_operations} callbacks as jnr-ffi delegates, with every path and
 * name as a raw {@code const char *}. jnr-fuse's own callback types decode paths with the JVM's
 * default charset, which loses names that are not valid UTF-8; we decode bytes 1:1 (ISO-8859-1)
 * so that any name on disk round-trips exactly.
 */
public final class Callbacks {
    private Callbacks() {
    }

    public interface PathCb { @Delegate int call(Pointer path); }
    public interface PathPtrCb { @Delegate int call(Pointer path, Pointer p); }
    public interface PathPtrPtrCb { @Delegate int call(Pointer path, Pointer p, Pointer fi); }
    public interface PathIntCb { @Delegate int call(Pointer path, int mode); }
    public interface PathIntLongCb { @Delegate int call(Pointer path, int mode, long dev); }
    public interface PathPathCb { @Delegate int call(Pointer a, Pointer b); }
    public interface PathIntIntCb { @Delegate int call(Pointer path, int uid, int gid); }
    public interface PathLongCb { @Delegate int call(Pointer path, long size); }
    public interface PathLongPtrCb { @Delegate int call(Pointer path, long size, Pointer fi); }
    public interface PathPtrLongCb { @Delegate int call(Pointer path, Pointer buf, long size); }
    public interface IoCb { @Delegate int call(Pointer path, Pointer buf, long size, long offset, Pointer fi); }
    public interface PathIntPtrCb { @Delegate int call(Pointer path, int datasync, Pointer fi); }
    public interface FallocateCb { @Delegate int call(Pointer path, int mode, long offset, long length, Pointer fi); }
    public interface PathIntFiCb { @Delegate int call(Pointer path, int mode, Pointer fi); }
    public interface SetxattrCb { @Delegate int call(Pointer path, Pointer name, Pointer value, long size, int flags); }
    public interface GetxattrCb { @Delegate int call(Pointer path, Pointer name, Pointer value, long size); }
    public interface ReaddirCb { @Delegate int call(Pointer path, Pointer buf, Pointer filler, long offset, Pointer fi); }
    /** {@code struct fuse_chan_ops.send}: {@code int (*)(struct fuse_chan *, const struct iovec *, size_t)}. */
    public interface SendCb { @Delegate int call(Pointer ch, Pointer iov, long count); }
    public interface InitCb { @Delegate Pointer call(Pointer conn); }
    public interface DestroyCb { @Delegate void call(Pointer data); }
}
