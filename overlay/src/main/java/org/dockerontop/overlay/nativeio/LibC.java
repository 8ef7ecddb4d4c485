package org.dockerontop.overlay.nativeio;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Encoding;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The libc calls the overlay needs, bound with jnr-ffi. Buffers are raw {@link Pointer}s so callers
 * can read and write straight into memory they already own (a FUSE request buffer, a {@code struct
 * stat} the kernel handed us) without copying. Every call sets errno on failure; read it with
 * {@link Native#errno()} right after the call, on the same thread.
 *
 * <p>Path strings are encoded ISO-8859-1, i.e. each char is one byte: callers hold file names as
 * "byte strings" (see {@link Native#bytesToString}) so that names that are not valid UTF-8 survive.
 */
@Encoding("ISO-8859-1")
public interface LibC {
    int open(String path, int flags, int mode);
    int openat(int dirfd, String path, int flags, int mode);
    int close(int fd);

    long pread(int fd, Pointer buf, long count, long offset);
    long pwrite(int fd, Pointer buf, long count, long offset);
    long read(int fd, Pointer buf, long count);
    long write(int fd, @In byte[] buf, long count);

    /** {@code iov} points at {@code iovcnt} struct iovec. */
    long writev(int fd, Pointer iov, int iovcnt);
    long lseek(int fd, long offset, int whence);
    long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

    int fstatat(int dirfd, String path, Pointer statbuf, int flags);
    int fstat(int fd, Pointer statbuf);
    /** {@code statxbuf}: a struct statx ({@link Native#STATX_SIZE} bytes). */
    int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf);
    int statvfs(String path, Pointer buf);

    int ftruncate(int fd, long length);
    int truncate(String path, long length);
    int fsync(int fd);
    int fdatasync(int fd);

    int sync_file_range(int fd, long offset, long nbytes, int flags);
    int fallocate(int fd, int mode, long offset, long len);
    int posix_fadvise(int fd, long offset, long len, int advice);

    int mknod(String path, int mode, long dev);
    int mkdir(String path, int mode);
    int unlink(String path);
    int rmdir(String path);
    int rename(String oldPath, String newPath);
    int renameat2(int oldDirfd, String oldPath, int newDirfd, String newPath, int flags);
    int link(String oldPath, String newPath);
    int linkat(int oldDirfd, String oldPath, int newDirfd, String newPath, int flags);
    int symlink(String target, String linkPath);
    long readlink(String path, Pointer buf, long size);

    int fchmodat(int dirfd, String path, int mode, int flags);
    int fchmod(int fd, int mode);
    int lchown(String path, int uid, int gid);
    int fchown(int fd, int uid, int gid);
    int utimensat(int dirfd, String path, Pointer times, int flags);
    int futimens(int fd, Pointer times);

    long lgetxattr(String path, String name, Pointer value, long size);
    long lgetxattr(String path, String name, @Out byte[] value, long size);
    int lsetxattr(String path, String name, Pointer value, long size, int flags);
    int lsetxattr(String path, String name, @In byte[] value, long size, int flags);
    long llistxattr(String path, Pointer list, long size);
    long llistxattr(String path, @Out byte[] list, long size);
    int lremovexattr(String path, String name);
    long fgetxattr(int fd, String name, @Out byte[] value, long size);
    int fsetxattr(int fd, String name, @In byte[] value, long size, int flags);
    long flistxattr(int fd, @Out byte[] list, long size);
    long fgetxattr(int fd, String name, Pointer value, long size);
    int fsetxattr(int fd, String name, Pointer value, long size, int flags);
    int fremovexattr(int fd, String name);

    Pointer opendir(String path);
    Pointer readdir(Pointer dir);
    int closedir(Pointer dir);
    /** Reads struct linux_dirent64 entries of directory {@code fd} into {@code dirp}: bytes, 0 at the end. */
    long getdents64(int fd, Pointer dirp, long count);

    int dup2(int oldfd, int newfd);
    int chdir(String path);
    int fchdir(int fd);
    int getpid();
    int setsid();
    int geteuid();

    int getegid();

    int umask(int mask);

    /** {@code handle} is a struct file_handle with handle_bytes preset to its capacity. */
    int name_to_handle_at(int dirfd, String path, @In @Out byte[] handle, @Out int[] mountId, int flags);
    int open_by_handle_at(int mountFd, @In byte[] handle, int flags);
    int ioctl(int fd, long request, @Out byte[] arg);

    /** ioctl with an argument in native memory (read, written or both, as {@code request} says). */
    int ioctl(int fd, long request, Pointer arg);
}
