package org.dockerontop.fuse.parity;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls the parity tests make, bound directly so that every result carries the exact errno
 * the kernel returned (java.nio folds several errnos into one exception type). x86-64 Linux, glibc 2.33+
 * (which exports stat/lstat/mknod as real symbols).
 */
@SaveError
public interface LibC {
    int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000,
            O_APPEND = 02000, O_NONBLOCK = 04000, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000;
    int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000, S_IFBLK = 060000,
            S_IFDIR = 040000, S_IFCHR = 020000, S_IFIFO = 010000;
    int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    int STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;
    int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
    int XATTR_CREATE = 1, XATTR_REPLACE = 2;

    LibC INSTANCE = LibraryLoader.create(LibC.class).option(LibraryOption.SaveError, true).load("c");

    static int errno() {
        return Runtime.getRuntime(INSTANCE).getLastError();
    }

    int open(String path, int flags, int mode);
    int close(int fd);
    long read(int fd, @Out byte[] buf, long n);
    long pread(int fd, @Out byte[] buf, long n, long off);
    long write(int fd, @In byte[] buf, long n);
    long pwrite(int fd, @In byte[] buf, long n, long off);
    long lseek(int fd, long off, int whence);
    int ftruncate(int fd, long len);
    int truncate(String path, long len);
    int fsync(int fd);
    int fdatasync(int fd);
    int unlink(String path);
    int rmdir(String path);
    int mkdir(String path, int mode);
    int rename(String from, String to);

    int renameat2(int oldDirfd, String from, int newDirfd, String to, int flags);
    int link(String from, String to);
    int symlink(String target, String linkpath);
    long readlink(String path, @Out byte[] buf, long size);
    int mknod(String path, int mode, long dev);
    int mkfifo(String path, int mode);
    int chmod(String path, int mode);
    int chown(String path, int uid, int gid);
    int lchown(String path, int uid, int gid);
    int utimensat(int dirfd, String path, @In long[] times, int flags);
    int futimens(int fd, @In long[] times);
    int lsetxattr(String path, String name, @In byte[] value, long size, int flags);
    long lgetxattr(String path, String name, @Out byte[] value, long size);
    long llistxattr(String path, @Out byte[] list, long size);
    int lremovexattr(String path, String name);
    int flock(int fd, int op);
    int statfs(String path, @Out byte[] buf);
    int lstat(String path, @Out byte[] buf);
    /** {@code buf}: a struct statx, 256 bytes. */
    int statx(int dirfd, String path, int flags, int mask, @Out byte[] buf);
    int stat(String path, @Out byte[] buf);
    int fstat(int fd, @Out byte[] buf);
    int access(String path, int mode);
    int fallocate(int fd, int mode, long off, long len);
    long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);
    Pointer opendir(String path);
    Pointer readdir(Pointer dir);
    int closedir(Pointer dir);
    int getpid();
}
