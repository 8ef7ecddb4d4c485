#!/bin/bash
# abba.sh ROUNDS ONLY NAME=JAR NAME=JAR [EXTRA overlay-bench options...]: overlay-bench.sh on
# docker-on-top-fuse with -o loop=java, one run per invocation, the two jars alternated ABBA
# (A B, B A, ...). Each jar goes through the launcher (DOCKER_ON_TOP_FUSE_JAR), so an archive
# beside a jar (.jsa) is used for it. Prints "NAME workload wall_s cpu_s load" per run.
# OPTS: the mount options instead of loop=java (empty: none, the default loop); LAUNCHER: another
# launcher than this tree's src/bin/docker-on-top-fuse.
set -u
R=$1 ONLY=$2; A=$3 B=$4; shift 4
here=$(cd "$(dirname "$0")/../../.." && pwd)
one() {
    local name=${1%%=*} jar=${1#*=} load
    shift
    load=$(cut -d' ' -f1 /proc/loadavg)
    local opts=(--ours-opts "${OPTS-loop=java}")
    [ -n "${OPTS-loop=java}" ] || opts=()
    "$here/bench/overlay-bench.sh" --mounts docker-on-top-fuse --only "$ONLY" --runs 1 \
        --data /var/tmp/bench-data "${opts[@]}" \
        --ours-cmd "env DOCKER_ON_TOP_FUSE_JAR=$jar ${LAUNCHER:-$here/src/bin/docker-on-top-fuse}" "$@" 2>&1 >/dev/null |
        sed -n 's/.*run 1\/1 \([a-z-]*\) docker-on-top-fuse: \([0-9.]*\) s (daemon cpu \([0-9.]*\) s).*/\1 \2 \3/p' |
        while read -r w s c; do echo "$name $w $s $c $load"; done
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A" "$@"; one "$B" "$@"; else one "$B" "$@"; one "$A" "$@"; fi
done
