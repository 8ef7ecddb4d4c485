#!/usr/bin/env python3
"""plookup.py MNT PROCS: PROCS processes look names up in the same directories at once: each lstats
its share (index % PROCS) of the 10 x 1,000 files of MNT/small/d00N, directory by directory, then
5,000 missing names each in MNT/small/d000. Prints the wall seconds of the whole."""
import os, sys, time
from multiprocessing import Process, Barrier
mnt, procs = sys.argv[1], int(sys.argv[2])
dirs = sorted(os.listdir(f"{mnt}/small")) if False else [f"d{i:03d}" for i in range(10)]
names = {d: sorted(os.listdir(f"/var/tmp/bench-data/lower/small/{d}")) for d in dirs}
def work(k, b):
    b.wait()
    for d in dirs:
        base = f"{mnt}/small/{d}/"
        for i, n in enumerate(names[d]):
            if i % procs == k:
                os.lstat(base + n)
    for i in range(5000):
        try:
            os.lstat(f"{mnt}/small/d000/missing-{k}-{i}")
        except FileNotFoundError:
            pass
b = Barrier(procs + 1)
ps = [Process(target=work, args=(k, b)) for k in range(procs)]
for p in ps: p.start()
b.wait(); t0 = time.monotonic()
for p in ps: p.join()
print(f"{time.monotonic() - t0:.4f}")
