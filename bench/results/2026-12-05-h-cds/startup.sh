#!/bin/bash
# ABBA start-up measurement of docker-on-top-fuse without (A) and with (B) its CDS archive.
#   startup.sh PREFIX_A PREFIX_B ROUNDS MODE     MODE: launcher (bin/docker-on-top-fuse, background
#   mode, returns once mounted) or plugin (java FuseCommand.JVM_OPTIONS [archive options] -jar JAR -f,
#   as the plugin starts it; "mounted" = polled every 5 ms until the mount answers).
# Per run: wall ms until mounted, the server's CPU ticks (utime+stime) then, its VmRSS/Pss (kB) 1 s
# later, then 300 renames of lower files (python, os.rename) and the server's CPU ticks after them.
# Prints one TSV line per run: variant mode mount_ms cpu_mounted rss_kb pss_kb shared_kb rename_ms cpu_total
set -euo pipefail
A=$1 B=$2 ROUNDS=$3 MODE=$4
root=$(mktemp -d /var/tmp/cds-startup.XXXXXX)
trap 'for m in "$root"/*/m; do mountpoint -q "$m" && fusermount -u "$m"; done; rm -rf "$root"' EXIT
mkdir -p "$root/lower"
for i in $(seq 1 300); do echo "$i" > "$root/lower/r$i"; done
JVM="-XX:+UseSerialGC -Xms8m -Xmx96m -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m -XX:TieredStopAtLevel=1 -Xshare:auto -XX:-UsePerfData"
one() {  # VARIANT PREFIX N
    local v=$1 p=$2 n=$3 d pid t0 t1 c1 c2 r0 r1 rss pss sh
    d="$root/$v$n"; mkdir -p "$d/u" "$d/w" "$d/m"
    local opts="lowerdir=$root/lower,upperdir=$d/u,workdir=$d/w"
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
    pss=$(awk '/^Pss:/{print $2}' /proc/$pid/smaps_rollup)
    sh=$(awk '/^Shared_Clean:/{print $2}' /proc/$pid/smaps_rollup)
    r0=$(date +%s%N)
    python3 -c 'import os,sys; m=sys.argv[1]
for i in range(1,301): os.rename(f"{m}/r{i}", f"{m}/s{i}")' "$d/m"
    r1=$(date +%s%N)
    c2=$(cpu)
    fusermount -u "$d/m"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
    rm -rf "$d"
    printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n' "$v" "$MODE" $(((t1 - t0) / 1000000)) "$c1" "$rss" "$pss" "$sh" $(((r1 - r0) / 1000000)) "$c2"
}
for ((k = 0; k < ROUNDS; k++)); do
    if ((k % 2 == 0)); then one A "$A" $k; one B "$B" $k; else one B "$B" $k; one A "$A" $k; fi
done
