import os, sys, errno
m = sys.argv[1]
def r(label, f):
    try: print(label, repr(f()))
    except OSError as e: print(label, "ERR", errno.errorcode[e.errno])
for case in ("rmdir", "rename", "none"):
    os.mkdir(m + "/u")
    fd = os.open(m + "/u/f", os.O_CREAT | os.O_RDWR, 0o644); os.write(fd, b"x" * 100000)
    os.unlink(m + "/u/f")
    if case == "rmdir": os.rmdir(m + "/u")
    if case == "rename": os.rename(m + "/u", m + "/u2")
    r(case + " fstat", lambda: (oct(os.fstat(fd).st_mode), os.fstat(fd).st_nlink, os.fstat(fd).st_size))
    r(case + " fchmod", lambda: os.fchmod(fd, 0o600))
    r(case + " fchown", lambda: os.fchown(fd, 7, 7))
    r(case + " futimens", lambda: os.utime(fd, (1, 2)))
    r(case + " ftruncate", lambda: os.ftruncate(fd, 50000))
    r(case + " fsetxattr", lambda: os.setxattr(fd, "user.q", b"1"))
    r(case + " fgetxattr", lambda: os.getxattr(fd, "user.q"))
    r(case + " fstat2", lambda: (oct(os.fstat(fd).st_mode), os.fstat(fd).st_nlink, os.fstat(fd).st_size, os.fstat(fd).st_uid))
    r(case + " read", lambda: len(os.pread(fd, 200000, 0)))
    os.close(fd)
    if case == "rename": os.rmdir(m + "/u2")
    if case == "none": os.rmdir(m + "/u")
