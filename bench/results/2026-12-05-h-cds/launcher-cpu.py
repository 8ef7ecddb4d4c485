#!/usr/bin/env python3
"""CPU of the launcher's own JVM (the one that starts the server and waits for the mount), without
(A) and with (B) the archive, ABBA: launcher-cpu.py PREFIX_A PREFIX_B ROUNDS. The detached server is
not a waited-for child, so RUSAGE_CHILDREN counts only the launcher."""
import os, resource, statistics, subprocess, sys, tempfile, time
A, B, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
res = {"A": [], "B": []}
with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="cds-lcpu.") as root:
    os.mkdir(f"{root}/l")
    for k in range(rounds):
        for v in ("AB" if k % 2 == 0 else "BA"):
            d = f"{root}/{v}{k}"
            for s in ("u", "w", "m"):
                os.makedirs(f"{d}/{s}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([f"{A if v == 'A' else B}/bin/docker-on-top-fuse", "-o",
                            f"lowerdir={root}/l,upperdir={d}/u,workdir={d}/w", f"{d}/m"], check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            res[v].append(round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000))
            subprocess.run(["fusermount", "-u", f"{d}/m"], check=True)
            time.sleep(0.5)
for v, xs in res.items():
    print(v, "launcher JVM cpu ms median", statistics.median(xs), "range", min(xs), max(xs), xs)
