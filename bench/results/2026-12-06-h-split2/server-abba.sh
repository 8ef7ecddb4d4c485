#!/bin/bash
# server-abba.sh KIND ROUNDS N A=JAR B=JAR: per round and jar (ABBA), a fresh mount of the default
# loop (through /work/main's launcher, DOCKER_ON_TOP_FUSE_JAR, so the .jsa beside the jar is used)
# over a lower tree holding d/f; one workload, and the server's utime and stime apart over it
# (/proc/PID/stat, ticks). KIND:
#   getattr  20,000 forced GETATTRs of d/f to warm up, then N timed (getattrs.c, built as $GETATTRS)
#   create   fsops.py's files-create of N empty files in a new directory (the bench's files-create)
# Prints "NAME wall_s utime stime load1" per run.
set -u
KIND=$1 R=$2 N=$3 A=$4 B=$5
GA=${GETATTRS:-/tmp/hsplit2/ga/getattrs}
fsops=$(cd "$(dirname "$0")/../.." && pwd)/fsops.py
base=$(mktemp -d /var/tmp/h-split2-abba.XXXXXX)
mkdir -p "$base/lower/d" && echo x >"$base/lower/d/f"
times() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; set -- $s; echo "${12} ${13}"; }
one() {
    local name=${1%%=*} jar=${1#*=} d pid u0 s0 u1 s1 wall load
    d=$(mktemp -d "$base/m.XXXXXX"); mkdir -p "$d/u" "$d/w" "$d/mnt"
    env DOCKER_ON_TOP_FUSE_JAR="$jar" /work/main/src/bin/docker-on-top-fuse \
        -o "lowerdir=$base/lower,upperdir=$d/u,workdir=$d/w" "$d/mnt"
    for _ in $(seq 50); do mountpoint -q "$d/mnt" && break; sleep 0.1; done
    pid=$(pgrep -f -- "$d/mnt" | head -1)
    [ "$KIND" = getattr ] && "$GA" "$d/mnt/d/f" 20000 >/dev/null
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r u0 s0 < <(times "$pid")
    case $KIND in
        getattr) wall=$("$GA" "$d/mnt/d/f" "$N") ;;
        create) wall=$(python3 "$fsops" files-create "$d/mnt/new" "$N" | awk '{print $2}') ;;
    esac
    read -r u1 s1 < <(times "$pid")
    echo "$name $wall $((u1 - u0)) $((s1 - s0)) $load"
    umount "$d/mnt"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -rf "$d"
}
for ((k = 0; k < R; k++)); do
    if ((k % 2 == 0)); then one "$A"; one "$B"; else one "$B"; one "$A"; fi
done
rm -rf "$base"
