#!/bin/bash
# create-split.sh ROUNDS A=JAR B=JAR: the bench's files-create (fsops.py, 10,000 empty files in a
# new directory) on a fresh mount of the default loop per run, jars ABBA; the server's utime and
# stime apart over the workload (/proc/PID/stat, ticks). Prints "NAME wall_s utime stime load1".
set -u
R=$1 A=$2 B=$3
fsops=$(cd "$(dirname "$0")/../.." && pwd)/fsops.py
base=$(mktemp -d /var/tmp/h-split2-cs.XXXXXX)
mkdir -p "$base/lower/d" && echo x >"$base/lower/d/f"
one() {
    local name=${1%%=*} jar=${1#*=} d pid s u0 s0 u1 s1 wall load
    d=$(mktemp -d "$base/m.XXXXXX"); mkdir -p "$d/u" "$d/w" "$d/mnt"
    env DOCKER_ON_TOP_FUSE_JAR="$jar" /work/main/src/bin/docker-on-top-fuse \
        -o "lowerdir=$base/lower,upperdir=$d/u,workdir=$d/w" "$d/mnt"
    for _ in $(seq 50); do mountpoint -q "$d/mnt" && break; sleep 0.1; done
    pid=$(pgrep -f -- "$d/mnt" | head -1)
    load=$(cut -d' ' -f1 /proc/loadavg)
    s=$(<"/proc/$pid/stat"); s=${s##*) }; set -- $s; u0=${12} s0=${13}
    wall=$(python3 "$fsops" files-create "$d/mnt/new" 10000 | awk '{print $2}')
    s=$(<"/proc/$pid/stat"); s=${s##*) }; set -- $s; u1=${12} s1=${13}
    echo "$name $wall $((u1 - u0)) $((s1 - s0)) $load"
    umount "$d/mnt"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -rf "$d"
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A"; one "$B"; else one "$B"; one "$A"; fi
done
rm -rf "$base"
