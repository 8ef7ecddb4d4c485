#!/bin/bash
# plookup.sh ROUNDS PROCS NAME=JAR NAME=JAR: plookup.py on a fresh loop=java mount of the bench's
# lower layer per run, caches dropped first, the two jars ABBA; prints "NAME PROCS wall_s cpu_ms load".
set -u
R=$1 P=$2 A=$3 B=$4
L=/var/tmp/bench-data/lower T=$(mktemp -d /var/tmp/hperf-pl.XXXXXX)
here=$(cd "$(dirname "$0")" && pwd)
launcher=$here/../../../src/bin/docker-on-top-fuse
tck=$(getconf CLK_TCK)
trap 'mountpoint -q $T/m && fusermount -u $T/m; rm -rf $T' EXIT
one() {
    local name=${1%%=*} jar=${1#*=} pid c0 c1 w load
    rm -rf $T/u $T/w; mkdir -p $T/u $T/w $T/m
    DOCKER_ON_TOP_FUSE_JAR=$jar $launcher -o lowerdir=$L,upperdir=$T/u,workdir=$T/w,loop=java $T/m || exit 1
    pid=$(pgrep -f "workdir=$T/w" | head -1)
    sync; echo 3 > /proc/sys/vm/drop_caches
    load=$(cut -d' ' -f1 /proc/loadavg)
    c0=$(awk '{print $14+$15}' /proc/$pid/stat)
    w=$(python3 $here/plookup.py $T/m $P)
    c1=$(awk '{print $14+$15}' /proc/$pid/stat)
    fusermount -u $T/m; while kill -0 $pid 2>/dev/null; do sleep 0.05; done
    echo "$name $P $w $(( (c1 - c0) * 1000 / tck )) $load"
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A"; one "$B"; else one "$B"; one "$A"; fi
done
