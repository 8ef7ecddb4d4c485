#!/usr/bin/env python3
"""Namespace fuzz: P processes x N random ops on a small namespace of a mount (names, links, renames,
open files kept across unlinks, readdir, O_TMPFILE+linkat). Counts errnos per op; EIO or other unexpected
errnos are the interesting ones. Afterwards (all closed) compares the mount's tree with a stat walk.
  nsfuzz.py MNT PROCS OPS SEED"""
import os, sys, random, errno, collections, ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
M, P, N, SEED = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DIRS = ["", "d1", "d2", "d1/e", "lo", "lo/in"]
NAMES = ["a", "b", "c", "f", "g"]
def rp(rng):
    return os.path.join(M, rng.choice(DIRS), rng.choice(NAMES))
def rd(rng):
    return os.path.join(M, rng.choice(DIRS))
def worker(i):
    rng = random.Random(SEED * 100 + i)
    cnt = collections.Counter()
    fds = []
    for k in range(N):
        op = rng.choice(["create", "write", "unlink", "rename", "link", "mkdir", "rmdir", "stat", "list",
                         "open", "close", "fread", "fwrite", "ftrunc", "fstat", "fchmod", "tmpfile", "rdir", "trunc", "chmod", "xattr"])
        try:
            if op == "create":
                os.close(os.open(rp(rng), os.O_CREAT | os.O_WRONLY, 0o644))
            elif op == "write":
                fd = os.open(rp(rng), os.O_WRONLY | os.O_APPEND); os.write(fd, b"x" * rng.randrange(1, 5000)); os.close(fd)
            elif op == "unlink":
                os.unlink(rp(rng))
            elif op == "rename":
                os.rename(rp(rng), rp(rng))
            elif op == "rdir":
                os.rename(rd(rng), rd(rng))
            elif op == "link":
                os.link(rp(rng), rp(rng))
            elif op == "mkdir":
                os.mkdir(rp(rng))
            elif op == "rmdir":
                os.rmdir(rp(rng) if rng.random() < 0.5 else rd(rng))
            elif op == "stat":
                os.lstat(rp(rng))
            elif op == "list":
                os.listdir(rd(rng))
            elif op == "open":
                fds.append(os.open(rp(rng), os.O_RDWR))
            elif op == "close" and fds:
                os.close(fds.pop(rng.randrange(len(fds))))
            elif op == "fread" and fds:
                os.pread(rng.choice(fds), 9000, 0)
            elif op == "fwrite" and fds:
                os.pwrite(rng.choice(fds), b"y" * rng.randrange(1, 9000), rng.randrange(0, 9000))
            elif op == "ftrunc" and fds:
                os.ftruncate(rng.choice(fds), rng.randrange(0, 9000))
            elif op == "fstat" and fds:
                os.fstat(rng.choice(fds))
            elif op == "fchmod" and fds:
                os.fchmod(rng.choice(fds), rng.choice([0o600, 0o644]))
            elif op == "trunc":
                os.truncate(rp(rng), rng.randrange(0, 9000))
            elif op == "chmod":
                os.chmod(rp(rng), rng.choice([0o600, 0o644, 0o755]))
            elif op == "xattr":
                os.setxattr(rp(rng), "user.k", b"v" * rng.randrange(1, 100))
            elif op == "tmpfile":
                fd = os.open(rd(rng), os.O_TMPFILE | os.O_RDWR, 0o600); os.write(fd, b"t")
                r = libc.linkat(-100, f"/proc/self/fd/{fd}".encode(), -100, os.fsencode(rp(rng)), 0x400)
                e = ctypes.get_errno() if r else 0
                os.close(fd)
                if e: raise OSError(e, "linkat")
            else:
                continue
            cnt[op + " ok"] += 1
        except OSError as e:
            cnt[op + " " + errno.errorcode.get(e.errno, str(e.errno))] += 1
    for fd in fds:
        os.close(fd)
    return cnt
pids = []
import tempfile
outs = []
for i in range(P):
    fn = f"/tmp/hval/corners/nsfuzz.{os.getpid()}.{i}"
    outs.append(fn)
    pid = os.fork()
    if pid == 0:
        c = worker(i)
        with open(fn, "w") as f: json.dump(c, f)
        os._exit(0)
    pids.append(pid)
for p in pids: os.waitpid(p, 0)
tot = collections.Counter()
for fn in outs:
    with open(fn) as f: tot.update(json.load(f))
    os.unlink(fn)
odd = {k: v for k, v in tot.items() if any(x in k for x in ("EIO", "ESTALE", "EBADF", "EBUSY", "EINVAL", "EFAULT", "ENOSYS", "EOVERFLOW", "ENOTCONN"))}
print("ops", sum(tot.values()), "unexpected", odd)
# tree check: every listed name stats, nlink matches the count of names per inode for files
names = collections.defaultdict(list); nl = {}; bad = []
for dp, dns, fns in os.walk(M):
    for n in fns + dns:
        p = os.path.join(dp, n)
        try: s = os.lstat(p)
        except OSError as e: bad.append((p, e.errno)); continue
        if n.startswith(".fuse_hidden"): bad.append((p, "hidden left"))
        if not os.path.isdir(p):
            names[s.st_ino].append(p); nl[s.st_ino] = s.st_nlink
for ino, ps in names.items():
    if len(ps) != nl[ino]: bad.append((ps, "nlink", nl[ino]))
print("tree problems", bad[:10], len(bad))
print("errnos", dict(sorted(tot.items())))
