#!/bin/bash
# halves.sh VARIANT: CPU ticks (user sys) of renames 1-500 and 501-1000 on one fresh mount
set -euo pipefail
v=$1; if [ "$v" = nofsync ]; then v=/var/tmp/h-ren/exp-tmpf.jar; export NOFSYNC=1; fi; LOWER=/var/tmp/bench-data/lower
d=$(mktemp -d /var/tmp/h-ren/runs/h.XXXXXX); mkdir -p $d/upper $d/work $d/mnt
opts="lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work"
if [ "$v" = fovl ]; then fuse-overlayfs -o "$opts" $d/mnt; pid=$(pgrep -nx fuse-overlayfs)
else env DOCKER_ON_TOP_FUSE_JAR=$v /work/main/src/bin/docker-on-top-fuse -o "$opts" $d/mnt >/dev/null 2>&1; pid=$(pgrep -nf "java.*$d/mnt"); fi
sync; echo 3 > /proc/sys/vm/drop_caches
VN=$(basename $1) python3 - $d/mnt/ren $LOWER/ren $pid <<'PY'
import os, sys, time
top, lower, pid = sys.argv[1], sys.argv[2], sys.argv[3]
names = sorted(os.listdir(lower))
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]), int(f[12])
out = []
for half in (names[:500], names[500:]):
    c0 = cpu(); t0 = time.perf_counter()
    for n in half:
        p = os.path.join(top, n); os.rename(p, p + ".renamed")
    t1 = time.perf_counter(); c1 = cpu()
    out.append("%.3f %d %d" % (t1 - t0, c1[0] - c0[0], c1[1] - c0[1]))
print(os.environ.get("VN","?"), " | ".join(out))
PY
fusermount -u $d/mnt
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
