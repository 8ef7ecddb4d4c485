#!/bin/bash
# cu.sh VARIANT: copyup-append: append to the 256 MiB lower file; daemon CPU (schedstat ms, ticks) and wall
set -euo pipefail
v=$1; VN=$(basename $1); case "$v" in nofsync) v=/var/tmp/h-ren/exp2.jar; export NOFSYNC=1;; nosfr) v=/var/tmp/h-ren/exp2.jar; export NOSFR=1;; nosync) v=/var/tmp/h-ren/exp2.jar; export NOFSYNC=1 NOSFR=1;; esac; LOWER=/var/tmp/bench-data/lower
d=$(mktemp -d /var/tmp/h-ren/runs/c.XXXXXX); mkdir -p $d/upper $d/work $d/mnt
opts="lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work"
if [ "$v" = fovl ]; then fuse-overlayfs -o "$opts" $d/mnt; pid=$(pgrep -nx fuse-overlayfs)
else env DOCKER_ON_TOP_FUSE_JAR=$v /work/main/src/bin/docker-on-top-fuse -o "$opts" $d/mnt >/dev/null 2>&1; pid=$(pgrep -nf "java.*$d/mnt"); fi
sync; echo 3 > /proc/sys/vm/drop_caches
cpu() { cat /proc/$pid/task/*/schedstat 2>/dev/null | awk '{s+=$1} END {print s}'; }
tk() { cut -d' ' -f14,15 /proc/$pid/stat; }
c0=$(cpu); k0=$(tk); t0=$(date +%s.%N)
echo appended >> $d/mnt/copyup.bin
t1=$(date +%s.%N); c1=$(cpu); k1=$(tk)
fusermount -u $d/mnt
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
set -- $k0 $k1
echo "$VN wall $(echo "$t1 - $t0" | bc) cpu_ms $(( (c1 - c0) / 1000000 )) user $(( $3 - $1 )) sys $(( $4 - $2 ))"
