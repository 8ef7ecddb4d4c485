#!/bin/bash
# prof.sh VARIANT: daemon CPU (ms, all threads, schedstat) of renames [1] [2-10] [11-100] [101-500] [501-1000]
set -euo pipefail
v=$1; VN=$(basename $1); case "$v" in cts*) export JAVA=/var/tmp/h-ren/java$v; v=/var/tmp/h-ren/times.jar;; esac; if [ "$v" = nofsync ]; then v=/var/tmp/h-ren/exp-tmpf.jar; export NOFSYNC=1; fi; LOWER=/var/tmp/bench-data/lower
d=$(mktemp -d ${RUNS:-/var/tmp/h-ren/runs}/p.XXXXXX); mkdir -p $d/upper $d/work $d/mnt
opts="lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work"
if [ "$v" = fovl ]; then fuse-overlayfs -o "$opts" $d/mnt; pid=$(pgrep -nx fuse-overlayfs)
else env JAVA=${JAVA:-java} DOCKER_ON_TOP_FUSE_JAR=$v /work/main/src/bin/docker-on-top-fuse -o "$opts" $d/mnt >/dev/null 2>&1; pid=$(pgrep -nf "java.*$d/mnt"); fi
sync; echo 3 > /proc/sys/vm/drop_caches
VN=$VN python3 - $d/mnt/ren $LOWER/ren $pid <<'PY'
import os, sys, time, glob
top, lower, pid = sys.argv[1], sys.argv[2], sys.argv[3]
names = sorted(os.listdir(lower))
seen = {}
def cpu():
    for f in glob.glob("/proc/%s/task/*/schedstat" % pid):
        try: seen[f] = int(open(f).read().split()[0])
        except OSError: pass
    return sum(seen.values())
def ticks():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]), int(f[12])
out = []; tk0 = ticks(); w0 = time.perf_counter()
for a, b in ((0, 1), (1, 10), (10, 100), (100, 500), (500, 1000)):
    c0 = cpu()
    for n in names[a:b]:
        p = os.path.join(top, n); os.rename(p, p + ".renamed")
    out.append("%.1f" % ((cpu() - c0) / 1e6))
tk1 = ticks()
print(os.environ["VN"], " ".join(out), "wall %.3f user %d sys %d" % (time.perf_counter() - w0, tk1[0] - tk0[0], tk1[1] - tk0[1]))
PY
fusermount -u $d/mnt
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
