package org.dockerontop.fuse;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.mapper.FromNativeConverter;
import jnr.ffi.provider.jffi.ClosureHelper;
import org.dockerontop.overlay.nativeio.Errno;
import org.dockerontop.overlay.nativeio.ErrnoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseStubFS;

/**
 * The FUSE side of the overlay: binds libfuse 2's high-level callbacks straight to
 * {@link OverlayFs}, with raw pointers for the request buffers, {@code struct stat} and
 * {@code struct fuse_file_info} (jnr-fuse's struct wrappers allocate a dozen objects per call and
 * its {@code FuseFileInfo} bitfields are laid out wrongly).
 *
 * <p>Every callback ends in {@link #fail}: the one place where an {@link ErrnoException} becomes
 * {@code -errno} and anything unexpected becomes {@code -EIO} and a log line. Nothing escapes into
 * native code, so the filesystem keeps serving.
 */
public final class FuseOverlay extends FuseStubFS {
    private static final Logger LOG = LoggerFactory.getLogger(FuseOverlay.class);

    /** libfuse 2.9 {@code struct fuse_file_info} on 64-bit Linux. */
    private static final int FI_FLAGS = 0;
    private static final int FI_FH = 24;

    /** libfuse's {@code fill_dir}, called directly with the entry name as native memory. */
    public interface RawFiller {
        @Delegate
        int apply(Pointer buf, Pointer name, Pointer stbuf, long off);
    }

    /** {@code fuse_get_context()}, read without jnr-fuse's per-call struct allocation. */
    public interface LibFuseContext {
        Pointer fuse_get_context();
    }

    private static final LibFuseContext CONTEXT = loadContext();

    private final OverlayFs fs;
    private final CountDownLatch initialized = new CountDownLatch(1);
    private volatile long fillerAddress;
    private volatile RawFiller filler;
    private final ThreadLocal<Pointer> direntStat = ThreadLocal.withInitial(
            () -> org.dockerontop.overlay.nativeio.Native.allocate(org.dockerontop.overlay.nativeio.Stat.SIZE));

    FuseOverlay(OverlayFs fs) {
        this.fs = fs;
        bind();
    }

    private static LibFuseContext loadContext() {
        try {
            return LibraryLoader.create(LibFuseContext.class).failImmediately().load("fuse");
        } catch (Throwable e) {
            return LibraryLoader.create(LibFuseContext.class).failImmediately().load("libfuse.so.2");
        }
    }

    @Override
    protected String getFSName() {
        return "docker-on-top-fuse";
    }

    /** Counts down once libfuse has called init, i.e. the mount is up and answering. */
    CountDownLatch initialized() {
        return initialized;
    }

    @Override
    public Pointer init(Pointer conn) {
        initialized.countDown();
        return null;
    }

    /** Mounts and serves until unmounted (blocking). */
    void serve(Path mountPoint, boolean debug, String[] fuseOpts) {
        mount(mountPoint, true, debug, fuseOpts);
    }

    static int fail(Throwable t, String op, String path) {
        if (t instanceof ErrnoException) {
            return -((ErrnoException) t).errno();
        }
        LOG.error("{} {}: unexpected failure, answering EIO", op, path, t);
        return -Errno.EIO;
    }

    private static int uid() {
        return CONTEXT.fuse_get_context().getInt(8);
    }

    private static int gid() {
        return CONTEXT.fuse_get_context().getInt(12);
    }

    private Handle handle(Pointer fi) {
        return fi == null ? null : fs.handles().get(fi.getLong(FI_FH));
    }

    private RawFiller filler(Pointer p) {
        long address = p.address();
        RawFiller f = filler;
        if (f != null && fillerAddress == address) {
            return f;
        }
        ClosureHelper helper = ClosureHelper.getInstance();
        FromNativeConverter<RawFiller, Pointer> conv = helper.getNativeConveter(RawFiller.class);
        f = conv.fromNative(p, helper.getFromNativeContext());
        filler = f;
        fillerAddress = address;
        return f;
    }

    private void bind() {
        Pointer ops = Struct.getMemory(fuseOperations);
        // flag_nullpath_ok (operations on unlinked open files come without a path) and
        // flag_utime_omit_ok (UTIME_NOW/UTIME_OMIT reach utimens): bits 0 and 2 of the word after bmap
        int flagsOffset = (int) fuseOperations.bmap.offset() + 8;
        ops.putInt(flagsOffset, 1 | 4);

        fuseOperations.getattr.set((path, st) -> {
            try {
                fs.getattr(path, st);
                return 0;
            } catch (Throwable t) {
                return fail(t, "getattr", path);
            }
        });
        fuseOperations.fgetattr.set((path, st, fi) -> {
            try {
                fs.fgetattr(path, st, handle(fi));
                return 0;
            } catch (Throwable t) {
                return fail(t, "fgetattr", path);
            }
        });
        fuseOperations.readlink.set((path, buf, size) -> {
            try {
                return fs.readlink(path, buf, size);
            } catch (Throwable t) {
                return fail(t, "readlink", path);
            }
        });
        fuseOperations.mknod.set((path, mode, rdev) -> {
            try {
                fs.mknod(path, (int) mode, rdev, uid(), gid());
                return 0;
            } catch (Throwable t) {
                return fail(t, "mknod", path);
            }
        });
        fuseOperations.mkdir.set((path, mode) -> {
            try {
                fs.mkdir(path, (int) mode, uid(), gid());
                return 0;
            } catch (Throwable t) {
                return fail(t, "mkdir", path);
            }
        });
        fuseOperations.unlink.set(path -> {
            try {
                fs.unlink(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "unlink", path);
            }
        });
        fuseOperations.rmdir.set(path -> {
            try {
                fs.rmdir(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "rmdir", path);
            }
        });
        fuseOperations.symlink.set((target, path) -> {
            try {
                fs.symlink(target, path, uid(), gid());
                return 0;
            } catch (Throwable t) {
                return fail(t, "symlink", path);
            }
        });
        fuseOperations.rename.set((from, to) -> {
            try {
                fs.rename(from, to);
                return 0;
            } catch (Throwable t) {
                return fail(t, "rename", from + " -> " + to);
            }
        });
        fuseOperations.link.set((from, to) -> {
            try {
                fs.link(from, to);
                return 0;
            } catch (Throwable t) {
                return fail(t, "link", from + " -> " + to);
            }
        });
        fuseOperations.chmod.set((path, mode) -> {
            try {
                fs.chmod(path, (int) mode);
                return 0;
            } catch (Throwable t) {
                return fail(t, "chmod", path);
            }
        });
        fuseOperations.chown.set((path, uid, gid) -> {
            try {
                fs.chown(path, (int) uid, (int) gid);
                return 0;
            } catch (Throwable t) {
                return fail(t, "chown", path);
            }
        });
        fuseOperations.truncate.set((path, size) -> {
            try {
                fs.truncate(path, size);
                return 0;
            } catch (Throwable t) {
                return fail(t, "truncate", path);
            }
        });
        fuseOperations.ftruncate.set((path, size, fi) -> {
            try {
                fs.ftruncate(path, size, handle(fi));
                return 0;
            } catch (Throwable t) {
                return fail(t, "ftruncate", path);
            }
        });
        fuseOperations.utimens.set((path, times) -> {
            try {
                fs.utimens(path, times);
                return 0;
            } catch (Throwable t) {
                return fail(t, "utimens", path);
            }
        });
        fuseOperations.open.set((path, fi) -> {
            try {
                fi.putLong(FI_FH, fs.open(path, fi.getInt(FI_FLAGS)));
                return 0;
            } catch (Throwable t) {
                return fail(t, "open", path);
            }
        });
        fuseOperations.create.set((path, mode, fi) -> {
            try {
                fi.putLong(FI_FH, fs.create(path, (int) mode, fi.getInt(FI_FLAGS), uid(), gid()));
                return 0;
            } catch (Throwable t) {
                return fail(t, "create", path);
            }
        });
        fuseOperations.read.set((path, buf, size, offset, fi) -> {
            try {
                Handle h = fs.handles().get(fi.getLong(FI_FH));
                if (h == null) {
                    return -Errno.EBADF;
                }
                long n = OverlayIo.read(h.fd, buf, size, offset);
                return (int) n;
            } catch (Throwable t) {
                return fail(t, "read", path);
            }
        });
        fuseOperations.write.set((path, buf, size, offset, fi) -> {
            try {
                Handle h = fs.handles().get(fi.getLong(FI_FH));
                if (h == null) {
                    return -Errno.EBADF;
                }
                return (int) OverlayIo.write(h.fd, buf, size, offset);
            } catch (Throwable t) {
                return fail(t, "write", path);
            }
        });
        fuseOperations.statfs.set((path, buf) -> {
            try {
                fs.statfs(buf);
                return 0;
            } catch (Throwable t) {
                return fail(t, "statfs", path);
            }
        });
        fuseOperations.flush.set((path, fi) -> 0);
        fuseOperations.release.set((path, fi) -> {
            try {
                fs.release(fi.getLong(FI_FH));
                return 0;
            } catch (Throwable t) {
                return fail(t, "release", path);
            }
        });
        fuseOperations.fsync.set((path, datasync, fi) -> {
            try {
                Handle h = handle(fi);
                if (h == null) {
                    return -Errno.EBADF;
                }
                fs.fsync(h, datasync != 0);
                return 0;
            } catch (Throwable t) {
                return fail(t, "fsync", path);
            }
        });
        fuseOperations.setxattr.set((path, name, value, size, flags) -> {
            try {
                fs.setxattr(path, name, value, size, flags);
                return 0;
            } catch (Throwable t) {
                return fail(t, "setxattr", path);
            }
        });
        fuseOperations.getxattr.set((path, name, value, size) -> {
            try {
                return fs.getxattr(path, name, value, size);
            } catch (Throwable t) {
                return fail(t, "getxattr", path);
            }
        });
        fuseOperations.listxattr.set((path, list, size) -> {
            try {
                return fs.listxattr(path, list, size);
            } catch (Throwable t) {
                return fail(t, "listxattr", path);
            }
        });
        fuseOperations.removexattr.set((path, name) -> {
            try {
                fs.removexattr(path, name);
                return 0;
            } catch (Throwable t) {
                return fail(t, "removexattr", path);
            }
        });
        fuseOperations.opendir.set((path, fi) -> {
            try {
                fs.checkDir(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "opendir", path);
            }
        });
        fuseOperations.readdir.set((path, buf, fillerPtr, offset, fi) -> {
            try {
                RawFiller f = filler(fillerPtr);
                Pointer st = direntStat.get();
                fs.readdir(path, (name, dtype, ino) -> {
                    st.putLong(8, ino);
                    st.putInt(24, dtype << 12);
                    return f.apply(buf, name, st, 0) == 0;
                });
                return 0;
            } catch (Throwable t) {
                return fail(t, "readdir", path);
            }
        });
        fuseOperations.releasedir.set((path, fi) -> 0);
        fuseOperations.fsyncdir.set((path, fi) -> {
            try {
                fs.fsyncdir(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "fsyncdir", path);
            }
        });
        fuseOperations.access.set((path, mask) -> {
            try {
                fs.getattr(path, direntStat.get());
                return 0;
            } catch (Throwable t) {
                return fail(t, "access", path);
            }
        });
    }
}
