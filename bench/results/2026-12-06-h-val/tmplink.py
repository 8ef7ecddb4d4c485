import os, sys, ctypes, errno, collections
libc = ctypes.CDLL(None, use_errno=True)
m = sys.argv[1]; n = int(sys.argv[2]); os.chdir(m)
c = collections.Counter()
for i in range(n):
    fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600); os.write(fd, b"tmp")
    p = f"/proc/self/fd/{fd}".encode()
    r1 = libc.linkat(-100, p, -100, f"a{i}".encode(), 0x400); e1 = ctypes.get_errno() if r1 else 0
    if sys.argv[3:] == ["read"]: open(f"a{i}").read()
    r2 = libc.linkat(-100, p, -100, f"b{i}".encode(), 0x400); e2 = ctypes.get_errno() if r2 else 0
    c[(errno.errorcode.get(e1, "ok"), errno.errorcode.get(e2, "ok"), os.fstat(fd).st_nlink)] += 1
    os.close(fd)
print(dict(c))
