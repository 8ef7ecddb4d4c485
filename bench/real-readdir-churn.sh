#!/usr/bin/env bash
# real-readdir-churn.sh: listing a large merged directory (5,000 lower names, some whited out,
# some copied up) while other processes create, unlink, rename and copy up entries in it; every
# listing must hold each untouched lower name exactly once (POSIX allows names changed meanwhile to
# appear or not, never an untouched one missing or doubled). Also rm -rf of a lower tree racing a find.
. "$(dirname "$0")/real-lib.sh"
make_lower() {
    mkdir -p "$L/big" "$L/gone/a/b"
    python3 - "$L" <<'P'
import sys, os
for i in range(5000): open(f"{sys.argv[1]}/big/f{i:05d}", "w").write(str(i))
for i in range(2000): open(f"{sys.argv[1]}/gone/a/b/g{i}", "w").write(str(i))
P
}
workload() {
    python3 - <<'P'
import os, time, multiprocessing as mp
untouched = {f"f{i:05d}" for i in range(5000) if i % 10 != 0}
def churn(stop, k):
    n = 0
    while not stop.is_set():
        p = f"big/new{k}_{n}"; open(p, "w").close()
        if n % 2: os.unlink(p)
        else: os.rename(p, p + ".r")
        j = (n * 10 + k) % 5000
        victim = f"big/f{j - j % 10:05d}"     # only names ending in 0 are touched
        try:
            if n % 3 == 0: os.unlink(victim)
            else: open(victim, "a").write("x")
        except FileNotFoundError: pass
        n += 1
stop = mp.Event()
ps = [mp.Process(target=churn, args=(stop, k)) for k in range(2)]
[p.start() for p in ps]
bad = 0; rounds = 0; t0 = time.time()
while time.time() - t0 < 8:
    names = []
    with os.scandir("big") as it:
        for e in it: names.append(e.name)
    s = set(names)
    if len(s) != len(names) or not untouched <= s: bad += 1
    rounds += 1
stop.set(); [p.join() for p in ps]
print("listings with a missing or doubled untouched name:", bad, "(of", "many" if rounds > 5 else rounds, ")")
print("untouched present at the end:", untouched <= set(os.listdir("big")))
P
    ( find gone > /dev/null 2>&1 & rm -rf gone; wait ); echo "gone: $(ls -A | grep -c '^gone$')"
}
# how far the churn got depends on speed: compare only the untouched names
IGNORE_RE='^big/(f[0-9]{4}0|new)'
real_main
