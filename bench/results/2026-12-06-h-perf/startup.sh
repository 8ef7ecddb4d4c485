#!/bin/bash
# Start-up of docker-on-top-fuse on loop=java with different CDS archives (findings 29), after
# bench/results/2026-12-05-h-cds/startup.sh, for N variants in alternating order (forward on even
# rounds, reversed on odd ones).
#   startup.sh ROUNDS MODE NAME=PREFIX...   MODE: launcher (PREFIX/bin/docker-on-top-fuse, returns
#   once mounted) or plugin (java with FuseCommand's JVM options [+ archive] -jar JAR -f, polled).
# Per run: wall ms until mounted, the server's CPU ticks (utime+stime) then, its VmRSS (kB) 1 s
# later, then a short workload (ls -lR of 300 files, 300 renames of lower files, 300 stats of
# missing names), the workload's wall ms and the server's CPU ticks after it.
# One TSV line per run: variant mode mount_ms cpu_mounted rss_kb work_ms cpu_total
set -euo pipefail
ROUNDS=$1 MODE=$2; shift 2
names=() prefixes=()
for v in "$@"; do names+=("${v%%=*}"); prefixes+=("${v#*=}"); done
LOOP=${LOOP:-loop=java}
root=$(mktemp -d /var/tmp/hperf-startup.XXXXXX)
trap 'for m in "$root"/*/m; do mountpoint -q "$m" && fusermount -u "$m"; done; rm -rf "$root"' EXIT
mkdir -p "$root/lower"
for i in $(seq 1 300); do echo "$i" > "$root/lower/r$i"; done
JVM="-XX:+UseSerialGC -Xms8m -Xmx96m -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m -XX:+UseCompressedOops -XX:TieredStopAtLevel=1 -Xshare:auto -XX:-UsePerfData"
one() {  # VARIANT PREFIX N
    local v=$1 p=$2 n=$3 d pid t0 t1 c1 c2 r0 r1 rss
    d="$root/$v$n"; mkdir -p "$d/u" "$d/w" "$d/m"
    local opts="lowerdir=$root/lower,upperdir=$d/u,workdir=$d/w${LOOP:+,$LOOP}"
    local jar="$p/lib/docker-on-top/docker-on-top-fuse.jar" jsa="$p/lib/docker-on-top/docker-on-top-fuse.jsa"
    t0=$(date +%s%N)
    if [ "$MODE" = launcher ]; then
        "$p/bin/docker-on-top-fuse" -o "$opts" "$d/m" >/dev/null 2>&1
    else
        local cds=""; [ -f "$jsa" ] && cds="-XX:SharedArchiveFile=$jsa -Xlog:cds=off,cds+dynamic=off"
        setsid java $JVM $cds -jar "$jar" -f -o "$opts" "$d/m" >/dev/null 2>&1 </dev/null &
        until grep -q " $d/m fuse" /proc/self/mounts && stat "$d/m" >/dev/null 2>&1; do sleep 0.005; done
    fi
    t1=$(date +%s%N)
    pid=$(pgrep -nf -- "$d/m")
    cpu() { local s; s=$(<"/proc/$pid/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
    c1=$(cpu)
    sleep 1
    rss=$(awk '/^VmRSS:/{print $2}' /proc/$pid/status)
    r0=$(date +%s%N)
    ls -lR "$d/m" >/dev/null
    python3 -c 'import os,sys; m=sys.argv[1]
for i in range(1,301): os.rename(f"{m}/r{i}", f"{m}/s{i}")
for i in range(1,301):
    try: os.lstat(f"{m}/none{i}")
    except FileNotFoundError: pass' "$d/m"
    r1=$(date +%s%N)
    c2=$(cpu)
    fusermount -u "$d/m"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
    rm -rf "$d"
    printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\n' "$v" "$MODE" $(((t1 - t0) / 1000000)) "$c1" "$rss" $(((r1 - r0) / 1000000)) "$c2"
}
for ((k = 0; k < ROUNDS; k++)); do
    if ((k % 2 == 0)); then order=$(seq 0 $((${#names[@]} - 1))); else order=$(seq $((${#names[@]} - 1)) -1 0); fi
    for i in $order; do one "${names[$i]}" "${prefixes[$i]}" $k; done
done
