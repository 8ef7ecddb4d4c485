#!/bin/bash
# run.sh VARIANT [WRAP]  VARIANT = fovl | path/to.jar ; WRAP = strace|none
# one fresh mount, rename-lower workload; prints: variant wall utime stime (ticks)
set -euo pipefail
v=$1; if [ "$v" = nofsync ]; then v=/var/tmp/h-ren/exp-tmpf.jar; export NOFSYNC=1; fi; wrap=${2:-none}
LOWER=/var/tmp/bench-data/lower
d=$(mktemp -d /var/tmp/h-ren/runs/r.XXXXXX)
mkdir -p $d/upper $d/work $d/mnt
opts="lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work"
if [ "$v" = fovl ]; then
  fuse-overlayfs -o "$opts" $d/mnt
  pid=$(pgrep -nx fuse-overlayfs)
else
  env JAVA=${JAVA:-java} DOCKER_ON_TOP_FUSE_JAR=$v /work/main/src/bin/docker-on-top-fuse -o "$opts" $d/mnt >/dev/null 2>&1
  pid=$(pgrep -nf "java.*$d/mnt")
fi
sync; echo 3 > /proc/sys/vm/drop_caches
if [ "$wrap" = perf ]; then
  perf record -q -F 2999 -g -p $pid -o /var/tmp/h-ren/perf-$(basename $v).data 2>/dev/null & spid=$!; sleep 1
fi
if [ "$wrap" = strace ]; then
  strace -c -f -p $pid -o $d/strace.txt & spid=$!; sleep 1
fi
thr() { for t in /proc/$pid/task/*; do x=$(<$t/stat); c=${x#*(}; c=${c%%)*}; r=${x##*) }; set -- $r; echo "${c// /_} ${t##*/} ${12} ${13}"; done; }
[ "$wrap" = thr ] && thr > $d/t0
s0=$(cut -d' ' -f14,15 /proc/$pid/stat)
if [ "$wrap" = req ]; then
  /work/wt-h-ren/bench/fuse-requests.sh $d/mnt python3 /work/wt-h-ren/bench/fsops.py rename $d/mnt/ren $LOWER/ren > $d/req.txt
  w=0
else
  w=$(python3 /work/wt-h-ren/bench/fsops.py rename $d/mnt/ren $LOWER/ren | awk '{print $2}')
fi
s1=$(cut -d' ' -f14,15 /proc/$pid/stat)
if [ "$wrap" = thr ]; then thr > $d/t1; awk 'NR==FNR{u[$2]=$3;s[$2]=$4;next}{du=$3-u[$2];ds=$4-s[$2]; if(du+ds>0) print "  thr",$1,du,ds}' $d/t0 $d/t1; fi
if [ "$wrap" = strace ]; then kill -INT $spid; wait $spid || true; cp $d/strace.txt /var/tmp/h-ren/strace-$(basename $v)-$(date +%s).txt; fi
if [ "$wrap" = perf ]; then kill -INT $spid; wait $spid || true; fi
if [ "$wrap" = req ]; then cat $d/req.txt; fi
fusermount -u $d/mnt
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
set -- $s0 $s1
echo "$(basename $v) $w $(( $3 - $1 )) $(( $4 - $2 ))"
