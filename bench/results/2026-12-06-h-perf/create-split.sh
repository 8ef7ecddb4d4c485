#!/bin/bash
# create-split.sh ROUNDS NAME=JAR NAME=JAR: fsops.py files-create of 10,000 files on a fresh loop=java
# mount of the bench's lower layer (as overlay-bench's files-create), ABBA; prints "NAME wall utime stime"
# (the server's user and system ticks over the workload, from /proc/PID/stat).
set -u
R=$1 A=$2 B=$3
L=/var/tmp/bench-data/lower T=$(mktemp -d /var/tmp/hperf-cs.XXXXXX)
here=$(cd "$(dirname "$0")" && pwd)
launcher=$here/../../../src/bin/docker-on-top-fuse
trap 'mountpoint -q $T/m && fusermount -u $T/m; rm -rf $T' EXIT
one() {
    local name=${1%%=*} jar=${1#*=} pid u0 s0 u1 s1 w
    rm -rf $T/u $T/w; mkdir -p $T/u $T/w $T/m
    DOCKER_ON_TOP_FUSE_JAR=$jar $launcher -o lowerdir=$L,upperdir=$T/u,workdir=$T/w,loop=java $T/m || exit 1
    pid=$(pgrep -f "workdir=$T/w" | head -1)
    sync; echo 3 > /proc/sys/vm/drop_caches
    read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
    w=$(python3 $here/../../fsops.py files-create $T/m/new 10000)
    read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
    fusermount -u $T/m; while kill -0 $pid 2>/dev/null; do sleep 0.05; done
    echo "$name ${w#* } $((u1 - u0)) $((s1 - s0)) $(cut -d' ' -f1 /proc/loadavg)"
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A"; one "$B"; else one "$B"; one "$A"; fi
done
