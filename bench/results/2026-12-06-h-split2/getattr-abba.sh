#!/bin/bash
# getattr-abba.sh ROUNDS N A=JAR B=JAR: per round and jar (ABBA), a fresh mount of the default
# loop over a lower tree with one file 1 directory down; 20,000 forced GETATTRs to warm up, then N
# more, timed: wall (getattrs) and the server's utime+stime over the N (/proc/PID/stat, ticks).
# Prints "NAME wall_s cpu_ticks load1" per run. Needs getattrs (getattrs.c) in $GETATTRS.
set -u
R=$1 N=$2 A=$3 B=$4
GA=${GETATTRS:-/tmp/hsplit2/ga/getattrs}
base=$(mktemp -d /var/tmp/h-split2-ga.XXXXXX)
mkdir -p "$base/lower/d" && echo x >"$base/lower/d/f"
ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
one() {
    local name=${1%%=*} jar=${1#*=} d pid t0 t1 wall load
    d=$(mktemp -d "$base/m.XXXXXX"); mkdir -p "$d/u" "$d/w" "$d/mnt"
    env DOCKER_ON_TOP_FUSE_JAR="$jar" /work/main/src/bin/docker-on-top-fuse \
        -o "lowerdir=$base/lower,upperdir=$d/u,workdir=$d/w" "$d/mnt"
    for _ in $(seq 50); do mountpoint -q "$d/mnt" && break; sleep 0.1; done
    pid=$(pgrep -f -- "$d/mnt" | head -1)
    "$GA" "$d/mnt/d/f" 20000 >/dev/null
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(ticks "$pid"); wall=$("$GA" "$d/mnt/d/f" "$N"); t1=$(ticks "$pid")
    echo "$name $wall $((t1 - t0)) $load"
    umount "$d/mnt"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -rf "$d"
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A"; one "$B"; else one "$B"; one "$A"; fi
done
rm -rf "$base"
