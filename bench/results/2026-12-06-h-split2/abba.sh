#!/bin/bash
# abba.sh ROUNDS ONLY A=JAR B=JAR [overlay-bench options...]: overlay-bench.sh on docker-on-top-fuse (default loop: ours as
# root), one run per invocation, the two jars alternated ABBA (A B, B A, ...), each through the
# launcher of /work/main (DOCKER_ON_TOP_FUSE_JAR), so the archive beside each jar (.jsa) is used.
# Prints "NAME workload wall_s cpu_s load1" per run (cpu: the bench's utime+stime of the server).
set -u
R=$1 ONLY=$2 A=$3 B=$4
shift 4
bench=$(cd "$(dirname "$0")/../../.." && pwd)/bench/overlay-bench.sh
one() {
    local name=${1%%=*} jar=${1#*=} load
    shift
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$bench" --mounts docker-on-top-fuse --only "$ONLY" --runs 1 --data /var/tmp/bench-data \
        --ours-cmd "env DOCKER_ON_TOP_FUSE_JAR=$jar /work/main/src/bin/docker-on-top-fuse" "$@" 2>&1 >/dev/null |
        sed -n 's/.*run 1\/1 \([a-z-]*\) docker-on-top-fuse: \([0-9.]*\) s (daemon cpu \([0-9.]*\) s).*/\1 \2 \3/p' |
        while read -r w s c; do echo "$name $w $s $c $load"; done
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A" "$@"; one "$B" "$@"; else one "$B" "$@"; one "$A" "$@"; fi
done
