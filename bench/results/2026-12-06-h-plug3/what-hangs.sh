#!/bin/bash
# What of a volume's Unmount and Remove waits on a hung base: a base on a FUSE mount (fuse-overlayfs) whose server
# is stopped with SIGSTOP. For each volume strategy (kernel overlay; FUSE: fuse-overlayfs and docker-on-top-fuse), a
# volume is mounted over that base and used (ls -R, cat, a write), the base's server stopped, then each step of the
# plugin's Unmount/Remove done alone, killed after 8 s: statfs of the volume's mount (the plugin's probe),
# umount2(2) without the lookups umount(8) does (umount2.c), the volume FUSE server's exit, rm -rf of upper/ and
# workdir/. Two kinds of volume: "idle" (nothing touches it after the freeze) and "stuck" (an ls of an uncached
# directory of it was started after the freeze and killed with SIGKILL 2 s later, as docker stop would).
# Run as root with FUSEJAR=path/to/docker-on-top-fuse.jar; everything is continued and unmounted at the end.
set -uo pipefail
UMOUNT2=${UMOUNT2:-/tmp/h-plug3-umount2}
FUSEJAR=${FUSEJAR:?}
d=$(mktemp -d /tmp/hp3.XXXXXX)
mkdir -p "$d"/{real,fu,fw,fbase}
echo hi > "$d/real/a.txt"; for i in 1 2 3; do mkdir "$d/real/sub$i"; echo deep > "$d/real/sub$i/b.txt"; done
fuse-overlayfs -o "lowerdir=$d/real,upperdir=$d/fu,workdir=$d/fw" "$d/fbase" 2>/dev/null
server=$(pgrep -f "fuse-overlayfs -o lowerdir=$d/real")
lower="$d/fbase"
if [ "${CHAIN:-0}" = 1 ]; then
  # CHAIN=1: the base is a docker-on-top-fuse mount over that fuse-overlayfs mount. Once fuse-overlayfs is stopped,
  # this server still reads each request and then blocks on fuse-overlayfs: a server that reads requests and never
  # answers them, as a network file system waiting for its server does (SIGSTOP alone leaves requests unread).
  mkdir -p "$d"/{cu,cw,chain}
  setsid java -XX:TieredStopAtLevel=1 -jar "$FUSEJAR" -o "lowerdir=$d/fbase,upperdir=$d/cu,workdir=$d/cw,log=$d/chain.log" "$d/chain" </dev/null >>"$d/chain.log" 2>&1
  for i in $(seq 1 100); do grep -q " $d/chain " /proc/self/mounts && break; sleep 0.1; done
  lower="$d/chain"; chainpid=$(pgrep -f "upperdir=$d/cu")
  echo "base: docker-on-top-fuse (pid $chainpid) over fuse-overlayfs (pid $server)"
else
  echo "base: fuse-overlayfs (pid $server)"
fi

timed() {
  local label=$1; shift
  local t0=$(date +%s.%N)
  timeout -s KILL 8 "$@" >"$d/out" 2>&1; local rc=$?
  local t1=$(date +%s.%N)
  printf '  %-44s rc=%-3s %5.2f s  %s\n' "$label" "$rc" "$(echo "$t1 - $t0" | bc)" \
    "$([ $rc = 137 ] && echo '(killed: hangs)' || tail -1 "$d/out" | cut -c1-60)"
}
servedby() { pgrep -f -- "$1" | head -1; }
waitexit() { # pid: how long until it exits, at most 8 s
  local t0=$(date +%s.%N)
  for i in $(seq 1 80); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  local t1=$(date +%s.%N)
  if kill -0 "$1" 2>/dev/null; then echo "still running after 8 s (state $(ps -o stat= -p "$1"))"
  else printf 'exited after %.2f s\n' "$(echo "$t1 - $t0" | bc)"; fi
}
volume() { # strategy kind
  local v="$d/v-$1-$2"
  mkdir -p "$v"/{upper,workdir,mountpoint}
  case $1 in
    overlay) mount -t overlay "docker-on-top_v" -o "lowerdir=$lower,upperdir=$v/upper,workdir=$v/workdir" "$v/mountpoint" ;;
    fuse-overlayfs) fuse-overlayfs -o "lowerdir=$lower,upperdir=$v/upper,workdir=$v/workdir" "$v/mountpoint" 2>/dev/null ;;
    dot-fuse) setsid java -XX:TieredStopAtLevel=1 -jar "$FUSEJAR" -o "lowerdir=$lower,upperdir=$v/upper,workdir=$v/workdir,log=$v/fuse.log" "$v/mountpoint" </dev/null >>"$v/fuse.log" 2>&1
       for i in $(seq 1 100); do grep -q " $v/mountpoint " /proc/self/mounts && break; sleep 0.1; done ;;
  esac
  ls "$v/mountpoint" >/dev/null; cat "$v/mountpoint/sub1/b.txt" >/dev/null; echo x > "$v/mountpoint/written"
}
STRATEGIES="overlay fuse-overlayfs dot-fuse"
echo "kernel $(uname -r)"
declare -A vpid
for s in $STRATEGIES; do for k in idle stuck; do
  volume $s $k; vpid[$s-$k]=$(servedby "upperdir=$d/v-$s-$k/upper")
done; done
sleep 2 # past the FUSE attribute and entry timeouts (1 s by default)
kill -STOP "$server"; sleep 1
echo "base server $server stopped"
for s in $STRATEGIES; do
  (ls "$d/v-$s-stuck/mountpoint/sub2" >/dev/null 2>&1 & p=$!; sleep 2; kill -9 $p; sleep 0.5
   echo "$s: the ls killed with SIGKILL: $(kill -0 $p 2>/dev/null && echo "still there, state $(ps -o stat= -p $p)" || echo gone)")
done
for s in $STRATEGIES; do for k in idle stuck; do
  v="$d/v-$s-$k"
  echo "--- $s, $k"
  timed "statfs of its mount (the plugin's probe)" stat -f "$v/mountpoint"
  timed "umount2" "$UMOUNT2" "$v/mountpoint"
  [ -n "${vpid[$s-$k]}" ] && echo "  its FUSE server: $(waitexit "${vpid[$s-$k]}")"
  grep -q " $v/mountpoint " /proc/self/mounts && echo "  still in the mount table" || \
    timed "rm -rf upper/ workdir/ (Remove)" rm -rf "$v/workdir" "$v/upper"
done; done
kill -CONT "$server"; sleep 2
for s in $STRATEGIES; do for k in idle stuck; do
  grep -q " $d/v-$s-$k/mountpoint " /proc/self/mounts && { "$UMOUNT2" "$d/v-$s-$k/mountpoint" >/dev/null; echo "after SIGCONT of the base: unmounted $s $k"; }
done; done
sleep 1
for p in "${vpid[@]}"; do kill -0 $p 2>/dev/null && { kill $p; echo "stopped volume server $p at the end"; }; done
sleep 1
[ -n "${chainpid:-}" ] && { umount "$d/chain"; sleep 2; }
umount "$d/fbase" || { sleep 2; umount "$d/fbase"; }
rm -rf "$d"
