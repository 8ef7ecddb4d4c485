package org.dockerontop.fuse;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
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

    /**
     * libfuse's {@code fill_dir(buf, name, stbuf, off)}, called once per listed entry. Through jffi
     * directly, with the name's address: jnr's delegate proxy is a class generated at the first
     * listing (in the middle of the first request to list a directory) and adds a Pointer and
     * several frames to every entry.
     */
    private static final CallContext FILL_DIR = CallContext.getCallContext(Type.SINT,
            new Type[] {Type.POINTER, Type.POINTER, Type.POINTER, Type.SINT64}, CallingConvention.DEFAULT, false);
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    /**
     * Hands listed entries to libfuse's {@code fill_dir(dh, name, st, 0)}. A class rather than a
     * lambda: a lambda's call site is linked (a class spun) by its first use, in the middle of the
     * first listing a fresh mount serves.
     */
    private static final class Filler implements OverlayFs.EntrySink {
        private final long fill;
        private final long dh;
        private final long st;

        Filler(long fill, long dh, long st) {
            this.fill = fill;
            this.dh = dh;
            this.st = st;
        }

        @Override
        public boolean accept(long name, int dtype, long ino) {
            MEMORY.putLong(st + 8, ino); // st_ino
            MEMORY.putInt(st + 24, dtype << 12); // st_mode: the type is all fill_dir reads of it
            return (int) INVOKER.invokeL4NoErrno(FILL_DIR, fill, dh, name, st, 0) == 0;
        }
    }

    /** {@code fuse_get_context()}, read without jnr-fuse's per-call struct allocation. */
    public interface LibFuseContext {
        Pointer fuse_get_context();
    }

    private static final LibFuseContext CONTEXT = loadContext();

    private final OverlayFs fs;
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final ThreadLocal<Pointer> direntStat = ThreadLocal.withInitial(
            () -> org.dockerontop.overlay.nativeio.Native.allocate(org.dockerontop.overlay.nativeio.Stat.SIZE));

    FuseOverlay(OverlayFs fs) {
        this.fs = fs;
        bind();
        ColdStart.load(Filler.class, FuseAbi.class);
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

    /**
     * Mounts and serves until unmounted (blocking).
     *
     * @return 0 once unmounted, non-zero if libfuse could not mount
     */
    int serve(Path mountPoint, boolean debug, java.util.List<String> fuseArgs, int threads,
            Passthrough.Policy passthrough, boolean readOnly) {
        return FuseLoop.run(fuseOperations, fs, mountPoint.toString(), fuseArgs, threads, debug, passthrough, readOnly);
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

    /**
     * The caller's umask (struct fuse_context.umask: libfuse fills it from MKNOD, MKDIR and CREATE
     * requests); the kernel has applied it already unless ACLs are on (see {@link PosixAcls}).
     */
    private static int umask() {
        return CONTEXT.fuse_get_context().getInt(32);
    }

    private Handle handle(Pointer fi) {
        return fi == null ? null : fs.handles().get(fi.getLong(FI_FH));
    }

    private static final java.nio.charset.Charset BYTES = java.nio.charset.StandardCharsets.ISO_8859_1;

    /** A C string as a Java string holding its bytes 1:1 (the form {@link OverlayFs} works in). */
    static String str(Pointer p) {
        try {
            return org.dockerontop.overlay.nativeio.Native.byteString(p, 0);
        } catch (RuntimeException e) {
            LOG.error("undecodable path argument", e);
            return null; // the callback then fails with EIO in its own handler
        }
    }

    private final java.util.List<Object> closures = new java.util.ArrayList<>();

    /** Installs {@code impl} as the callback in {@code field}, keeping it reachable for the mount's life. */
    private <T> void install(jnr.ffi.BaseStruct.Func<?> field, Class<T> type, T impl) {
        Pointer fn = jnr.ffi.Runtime.getSystemRuntime().getClosureManager().getClosurePointer(type, impl);
        closures.add(impl);
        closures.add(fn);
        Struct.getMemory(fuseOperations).putPointer(field.offset(), fn);
    }

    private void bind() {
        Pointer ops = Struct.getMemory(fuseOperations);
        // flag_nullpath_ok (operations on unlinked open files may come without a path) and
        // flag_utime_omit_ok (UTIME_NOW/UTIME_OMIT reach utimens): bits 0 and 2 of the word after bmap
        ops.putInt(fuseOperations.bmap.offset() + 8, 1 | 4);

        install(fuseOperations.init, Callbacks.InitCb.class, conn -> {
            initialized.countDown();
            return null;
        });
        install(fuseOperations.getattr, Callbacks.PathPtrCb.class, (pp, st) -> {
            String path = str(pp);
            try {
                fs.getattr(path, st);
                return 0;
            } catch (Throwable t) {
                return fail(t, "getattr", path);
            }
        });
        install(fuseOperations.fgetattr, Callbacks.PathPtrPtrCb.class, (pp, st, fi) -> {
            String path = str(pp);
            try {
                fs.fgetattr(path, st, handle(fi));
                return 0;
            } catch (Throwable t) {
                return fail(t, "fgetattr", path);
            }
        });
        install(fuseOperations.readlink, Callbacks.PathPtrLongCb.class, (pp, buf, size) -> {
            String path = str(pp);
            try {
                return fs.readlink(path, buf, size);
            } catch (Throwable t) {
                return fail(t, "readlink", path);
            }
        });
        install(fuseOperations.mknod, Callbacks.PathIntLongCb.class, (pp, mode, rdev) -> {
            String path = str(pp);
            try {
                fs.mknod(path, mode, umask(), rdev, uid(), gid());
                return 0;
            } catch (Throwable t) {
                return fail(t, "mknod", path);
            }
        });
        install(fuseOperations.mkdir, Callbacks.PathIntCb.class, (pp, mode) -> {
            String path = str(pp);
            try {
                fs.mkdir(path, mode, umask(), uid(), gid());
                return 0;
            } catch (Throwable t) {
                return fail(t, "mkdir", path);
            }
        });
        install(fuseOperations.unlink, Callbacks.PathCb.class, pp -> {
            String path = str(pp);
            try {
                fs.unlink(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "unlink", path);
            }
        });
        install(fuseOperations.rmdir, Callbacks.PathCb.class, pp -> {
            String path = str(pp);
            try {
                fs.rmdir(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "rmdir", path);
            }
        });
        install(fuseOperations.symlink, Callbacks.PathPathCb.class, (tp, pp) -> {
            String path = str(pp);
            try {
                fs.symlink(str(tp), path, uid(), gid());
                return 0;
            } catch (Throwable t) {
                return fail(t, "symlink", path);
            }
        });
        install(fuseOperations.rename, Callbacks.PathPathCb.class, (fp, tp) -> {
            String from = str(fp);
            String to = str(tp);
            try {
                // a large lower source is copied up before the rename's stripes, as on our loop
                // (NameChanges); libfuse's tree lock holds both names and their ancestors meanwhile
                fs.rename(from, to, fs.copyUpToRename(from, to));
                return 0;
            } catch (Throwable t) {
                return fail(t, "rename", from + " -> " + to);
            }
        });
        install(fuseOperations.link, Callbacks.PathPathCb.class, (fp, tp) -> {
            String from = str(fp);
            String to = str(tp);
            try {
                fs.link(from, to);
                return 0;
            } catch (Throwable t) {
                return fail(t, "link", from + " -> " + to);
            }
        });
        install(fuseOperations.chmod, Callbacks.PathIntCb.class, (pp, mode) -> {
            String path = str(pp);
            try {
                fs.chmod(path, mode);
                return 0;
            } catch (Throwable t) {
                return fail(t, "chmod", path);
            }
        });
        install(fuseOperations.chown, Callbacks.PathIntIntCb.class, (pp, uid, gid) -> {
            String path = str(pp);
            try {
                fs.chown(path, uid, gid);
                return 0;
            } catch (Throwable t) {
                return fail(t, "chown", path);
            }
        });
        install(fuseOperations.truncate, Callbacks.PathLongCb.class, (pp, size) -> {
            String path = str(pp);
            try {
                fs.truncate(path, size);
                return 0;
            } catch (Throwable t) {
                return fail(t, "truncate", path);
            }
        });
        install(fuseOperations.ftruncate, Callbacks.PathLongPtrCb.class, (pp, size, fi) -> {
            String path = str(pp);
            try {
                fs.ftruncate(path, size, handle(fi));
                return 0;
            } catch (Throwable t) {
                return fail(t, "ftruncate", path);
            }
        });
        install(fuseOperations.utimens, Callbacks.PathPtrCb.class, (pp, times) -> {
            String path = str(pp);
            try {
                fs.utimens(path, times);
                return 0;
            } catch (Throwable t) {
                return fail(t, "utimens", path);
            }
        });
        install(fuseOperations.open, Callbacks.PathPtrCb.class, (pp, fi) -> {
            String path = str(pp);
            try {
                fi.putLong(FI_FH, fs.open(path, fi.getInt(FI_FLAGS)));
                return 0;
            } catch (Throwable t) {
                return fail(t, "open", path);
            }
        });
        install(fuseOperations.create, Callbacks.PathIntFiCb.class, (pp, mode, fi) -> {
            String path = str(pp);
            try {
                fi.putLong(FI_FH, fs.create(path, mode, umask(), fi.getInt(FI_FLAGS), uid(), gid()));
                return 0;
            } catch (Throwable t) {
                return fail(t, "create", path);
            }
        });
        // the data path: no path decoding, no allocation
        install(fuseOperations.read, Callbacks.IoCb.class, (pp, buf, size, offset, fi) -> {
            try {
                Handle h = fs.handles().get(fi.getLong(FI_FH));
                if (h == null) {
                    return -Errno.EBADF;
                }
                return (int) OverlayIo.read(h.fd, buf, size, offset);
            } catch (Throwable t) {
                return fail(t, "read", str(pp));
            }
        });
        install(fuseOperations.write, Callbacks.IoCb.class, (pp, buf, size, offset, fi) -> {
            try {
                Handle h = fs.handles().get(fi.getLong(FI_FH));
                if (h == null) {
                    return -Errno.EBADF;
                }
                if (!h.linked) {
                    return (int) OverlayIo.write(h.fd, buf, size, offset);
                }
                // a file with several names: the kernel caches each name apart
                fs.beginDataChange(h);
                int n = (int) OverlayIo.write(h.fd, buf, size, offset);
                fs.dataChanged();
                return n;
            } catch (Throwable t) {
                return fail(t, "write", str(pp));
            }
        });
        install(fuseOperations.statfs, Callbacks.PathPtrCb.class, (pp, buf) -> {
            try {
                fs.statfs(buf);
                return 0;
            } catch (Throwable t) {
                return fail(t, "statfs", str(pp));
            }
        });
        // No flush callback: with none (and no lock callback) libfuse answers the first FLUSH with
        // ENOSYS and the kernel stops sending one on every close(2). Writes are synchronous
        // pwrite(2)s, so there is no deferred error that a flush would have to report.
        install(fuseOperations.release, Callbacks.PathPtrCb.class, (pp, fi) -> {
            try {
                fs.release(fi.getLong(FI_FH));
                return 0;
            } catch (Throwable t) {
                return fail(t, "release", str(pp));
            }
        });
        install(fuseOperations.fsync, Callbacks.PathIntPtrCb.class, (pp, datasync, fi) -> {
            try {
                Handle h = handle(fi);
                if (h == null) {
                    return -Errno.EBADF;
                }
                fs.fsync(h, datasync != 0);
                return 0;
            } catch (Throwable t) {
                return fail(t, "fsync", str(pp));
            }
        });
        install(fuseOperations.fallocate, Callbacks.FallocateCb.class, (pp, mode, offset, length, fi) -> {
            try {
                Handle h = handle(fi);
                if (h == null) {
                    return -Errno.EBADF;
                }
                fs.fallocate(h, mode, offset, length);
                return 0;
            } catch (Throwable t) {
                return fail(t, "fallocate", str(pp));
            }
        });
        install(fuseOperations.setxattr, Callbacks.SetxattrCb.class, (pp, np, value, size, flags) -> {
            String path = str(pp);
            try {
                fs.setxattr(path, str(np), value, size, flags);
                return 0;
            } catch (Throwable t) {
                return fail(t, "setxattr", path);
            }
        });
        install(fuseOperations.getxattr, Callbacks.GetxattrCb.class, (pp, np, value, size) -> {
            String path = str(pp);
            try {
                return fs.getxattr(path, str(np), value, size);
            } catch (Throwable t) {
                return fail(t, "getxattr", path);
            }
        });
        install(fuseOperations.listxattr, Callbacks.PathPtrLongCb.class, (pp, list, size) -> {
            String path = str(pp);
            try {
                return fs.listxattr(path, list, size);
            } catch (Throwable t) {
                return fail(t, "listxattr", path);
            }
        });
        install(fuseOperations.removexattr, Callbacks.PathPathCb.class, (pp, np) -> {
            String path = str(pp);
            try {
                fs.removexattr(path, str(np));
                return 0;
            } catch (Throwable t) {
                return fail(t, "removexattr", path);
            }
        });
        // The kernel sends OPENDIR only for an inode it knows to be a directory, and the layers
        // change only through this mount: nothing to check, so no system call per opendir.
        install(fuseOperations.opendir, Callbacks.PathPtrCb.class, (pp, fi) -> 0);
        install(fuseOperations.readdir, Callbacks.ReaddirCb.class, (pp, buf, fillerPtr, offset, fi) -> {
            String path = str(pp);
            try {
                fs.readdir(path, new Filler(fillerPtr.address(), buf.address(), direntStat.get().address()));
                return 0;
            } catch (Throwable t) {
                return fail(t, "readdir", path);
            }
        });
        install(fuseOperations.releasedir, Callbacks.PathPtrCb.class, (pp, fi) -> 0);
        install(fuseOperations.fsyncdir, Callbacks.PathIntPtrCb.class, (pp, datasync, fi) -> {
            String path = str(pp);
            try {
                fs.fsyncdir(path);
                return 0;
            } catch (Throwable t) {
                return fail(t, "fsyncdir", path);
            }
        });
        install(fuseOperations.access, Callbacks.PathIntCb.class, (pp, mask) -> {
            String path = str(pp);
            try {
                fs.getattr(path, direntStat.get());
                return 0;
            } catch (Throwable t) {
                return fail(t, "access", path);
            }
        });
    }
}
