#!/usr/bin/env python3
"""memloop.py MNT ITER SERVERPID: link/unlink/rename churn over 100 dirs; every ITER/10: drop caches, print RSS."""
import os, sys, time
m, N, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
for k in range(100): os.makedirs(f"{m}/m{k}", exist_ok=True)
t0 = time.time(); ops = 0
for i in range(N):
    d = f"{m}/m{i % 50}"; e = f"{m}/m{50 + (i * 7) % 50}"
    fd = os.open(f"{d}/a{i}", os.O_CREAT | os.O_WRONLY, 0o644); os.write(fd, b"x"); os.close(fd)
    os.link(f"{d}/a{i}", f"{e}/b{i}"); os.rename(f"{e}/b{i}", f"{e}/c{i}"); os.stat(f"{d}/a{i}")
    if i % 10 == 0:
        fd = os.open(f"{e}/c{i}", os.O_RDWR); os.unlink(f"{d}/a{i}"); os.unlink(f"{e}/c{i}"); os.fstat(fd); os.close(fd)
    else:
        os.unlink(f"{d}/a{i}"); os.unlink(f"{e}/c{i}")
    ops += 6
    if (i + 1) % (N // 10) == 0:
        open("/proc/sys/vm/drop_caches", "w").write("2"); time.sleep(1)
        print(f"iter {i+1} ops {ops} {ops/(time.time()-t0):.0f}/s rss {rss()} kB", flush=True)
