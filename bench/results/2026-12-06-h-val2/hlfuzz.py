#!/usr/bin/env python3
"""Hard-link concurrency fuzz: P workers x N ops over shared names (3 dirs x 5 names) plus a private dir each.
Every file is created holding an 8-byte token repeated; writers only add that file's own token at a multiple
of 8, so any read through any name must be one token repeated (else: data from another inode or torn).
In a worker's private dir only it changes names: any ENOENT/ESTALE on a name it knows exists is a bug.
At the end (all closed): names with one st_ino hold one token, names with one token have one st_ino,
nlink == number of names. hlfuzz.py MNT P N SEED [dropper-seconds]"""
import os, sys, random, errno, collections, json, time, fcntl
from contextlib import contextmanager
@contextmanager
def lk(fd, how):
    fcntl.flock(fd, how)
    try: yield
    finally: fcntl.flock(fd, fcntl.LOCK_UN)
M, P, N, SEED = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DROP = float(sys.argv[5]) if len(sys.argv) > 5 else 0
SH = [os.path.join(M, d, n) for d in ("", "d1", "d2") for n in "abcde"]
for d in ("d1", "d2"): os.makedirs(os.path.join(M, d), exist_ok=True)
OK_ERR = {errno.ENOENT, errno.EEXIST, errno.EISDIR, errno.ENOTDIR}
def check(data, what, cnt, bad):
    if len(data) % 8: bad.append((what, "len", len(data))); cnt["BADDATA"] += 1; return
    if data and data != data[:8] * (len(data) // 8): bad.append((what, "mixed", data[:24])); cnt["BADDATA"] += 1
def worker(i):
    rng = random.Random(SEED * 1000 + i)
    cnt = collections.Counter(); bad = []
    priv = os.path.join(M, f"p{i}"); os.makedirs(priv, exist_ok=True)
    PR = [os.path.join(priv, n) for n in "xyz"]
    have = set()  # private names that exist
    fds = []
    ntok = 0
    for k in range(N):
        op = rng.choice(["create", "link", "link", "unlink", "rename", "open", "close", "append", "read", "fread",
                         "ftrunc", "stat", "plink", "punlink", "prename", "pread", "pwrite", "pstat", "pchmod"])
        try:
            if op == "create":
                ntok += 1; tok = f"{i:02d}{ntok:06d}".encode()[:8]
                fd = os.open(rng.choice(SH), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644); os.write(fd, tok * 4); os.close(fd)
            elif op == "link":
                os.link(rng.choice(SH), rng.choice(SH))
            elif op == "unlink":
                os.unlink(rng.choice(SH))
            elif op == "rename":
                os.rename(rng.choice(SH), rng.choice(SH))
            elif op == "open":
                fds.append(os.open(rng.choice(SH + PR), os.O_RDWR))
            elif op == "close":
                if not fds: continue
                os.close(fds.pop(rng.randrange(len(fds))))
            elif op == "append":
                if not fds: continue
                fd = rng.choice(fds)
                with lk(fd, fcntl.LOCK_EX):
                    tok = os.pread(fd, 8, 0)
                    if len(tok) < 8: continue
                    sz = os.fstat(fd).st_size
                    os.pwrite(fd, tok * rng.randrange(1, 64), sz // 8 * 8)
            elif op == "ftrunc":
                if not fds: continue
                fd = rng.choice(fds)
                with lk(fd, fcntl.LOCK_EX):
                    sz = os.fstat(fd).st_size
                    if sz >= 16: os.ftruncate(fd, rng.randrange(1, sz // 8) * 8)
            elif op == "fread":
                if not fds: continue
                fd = rng.choice(fds)
                with lk(fd, fcntl.LOCK_SH): check(os.pread(fd, 1 << 20, 0), "fd", cnt, bad)
            elif op == "read":
                p = rng.choice(SH)
                with open(p, "rb") as f:
                    with lk(f.fileno(), fcntl.LOCK_SH): check(f.read(), p, cnt, bad)
            elif op == "stat":
                os.lstat(rng.choice(SH))
            elif op == "plink":
                dst = rng.choice(PR)
                if dst in have: continue
                os.link(rng.choice(SH), dst); have.add(dst)
            elif op == "punlink":
                if not have: continue
                p = rng.choice(sorted(have)); have.discard(p); os.unlink(p)
            elif op == "prename":
                if not have: continue
                s = rng.choice(sorted(have)); d = rng.choice(PR)
                os.rename(s, d); have.add(d)
                if s != d and not os.path.lexists(s): have.discard(s)  # two names of one file: rename(2) leaves both
            elif op in ("pread", "pwrite", "pstat", "pchmod"):
                if not have: continue
                p = rng.choice(sorted(have))
                if op == "pread":
                    with open(p, "rb") as f:
                        with lk(f.fileno(), fcntl.LOCK_SH): check(f.read(), p, cnt, bad)
                elif op == "pwrite":
                    fd = os.open(p, os.O_RDWR)
                    try:
                      with lk(fd, fcntl.LOCK_EX):
                        tok = os.pread(fd, 8, 0)
                        if len(tok) == 8: os.pwrite(fd, tok, os.fstat(fd).st_size // 8 * 8)
                    finally: os.close(fd)
                elif op == "pstat":
                    os.lstat(p)
                else:
                    os.chmod(p, rng.choice([0o600, 0o644]))
            cnt[op + " ok"] += 1
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e.errno))
            cnt[op + " " + name] += 1
            if op.startswith("p") and op != "plink" or e.errno not in OK_ERR:
                if not (op == "plink" and e.errno == errno.ENOENT):
                    bad.append((op, name, k)); cnt["BAD"] += 1
    for fd in fds: os.close(fd)
    return cnt, [repr(x) for x in bad[:20]]
dropper = 0
if DROP:
    dropper = os.fork()
    if dropper == 0:
        while True:
            time.sleep(DROP)
            try: open("/proc/sys/vm/drop_caches", "w").write("2")
            except OSError: pass
pids = []; outs = []
for i in range(P):
    fn = f"/tmp/hval2/corners/hlfuzz.{os.getpid()}.{i}"; outs.append(fn)
    pid = os.fork()
    if pid == 0:
        c, b = worker(i)
        with open(fn, "w") as f: json.dump([c, b], f)
        os._exit(0)
    pids.append(pid)
for p in pids: os.waitpid(p, 0)
if dropper: os.kill(dropper, 9); os.waitpid(dropper, 0)
tot = collections.Counter(); bads = []
for fn in outs:
    with open(fn) as f: c, b = json.load(f)
    tot.update(c); bads += b; os.unlink(fn)
print("ops", sum(v for k, v in tot.items() if k not in ("BAD", "BADDATA")), "BAD", tot["BAD"], "BADDATA", tot["BADDATA"], bads[:8])
byino = collections.defaultdict(list); nl = {}; tokino = collections.defaultdict(set); probs = []
for dp, dns, fns in os.walk(M):
    for n in fns:
        p = os.path.join(dp, n)
        try:
            s = os.lstat(p)
            with open(p, "rb") as f: data = f.read()
        except OSError as e: probs.append((p, e.errno)); continue
        if n.startswith(".fuse_hidden"): probs.append((p, "hidden left"))
        byino[s.st_ino].append((p, data[:8])); nl[s.st_ino] = s.st_nlink
        tokino[data[:8]].add(s.st_ino)
        if len(data) % 8 or data != data[:8] * (len(data) // 8): probs.append((p, "data", data[:24]))
for ino, ps in byino.items():
    if len(ps) != nl[ino]: probs.append(([x[0] for x in ps], "nlink", nl[ino]))
    if len({x[1] for x in ps}) != 1: probs.append((ps, "tokens differ"))
for t, s in tokino.items():
    if len(s) != 1 and t: probs.append((t, "token on inodes", len(s)))
print("tree problems", len(probs), probs[:8])
print("errnos", dict(sorted(tot.items())))
