#!/bin/bash
# abba.sh OUT ROUNDS WORKLOADS SERVERS: the prototype (findings 24) against the product's server and
# fuse-overlayfs over the bench's lower data, a fresh mount per (server, workload), servers in
# order on odd rounds and reversed on even ones. Daemon CPU from a cpuacct cgroup holding only the
# daemon (ns, all its threads, exited ones included) and its user/system split from cpuacct.stat
# (ticks); wall time as the client measured it around its calls.
#   WORKLOADS: smallread (cold), walk (cold, then warm on the same mount), neg, openclose,
#              warmup (the first 1,000 and the next 29,000 of neg, then of openclose, on one mount)
#   SERVERS:   ours (JAR), fovl (fuse-overlayfs), proto (ProtoServer), protoovl (ProtoServer upper=empty dir);
#              proto1, protoovl1, ours1: the same with one worker thread (fuse-overlayfs has one)
# Output lines: workload server seconds cpu_ns user_ticks sys_ticks load
set -u
OUT=$1; ROUNDS=$2; WLS=$3; SERVERS=$4
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
DATA=/var/tmp/bench-data; LOWER=$DATA/lower
FSOPS=$HERE/../fsops.py
JAR=${JAR:-/var/tmp/h-proto/jars/docker-on-top-fuse.jar}
LAUNCH=${LAUNCH:-$HERE/../../src/bin/docker-on-top-fuse}
T=/var/tmp/h-proto/run; CG=/sys/fs/cgroup/cpuacct/hproto
mkdir -p $T $CG
N=30000
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
cg() { echo "$(cat $CG/cpuacct.usage) $(awk '{print $2}' $CG/cpuacct.stat | tr '\n' ' ')"; }
mountit() { # server -> sets PID
  local s=$1
  rm -rf --one-file-system $T/upper $T/work; mkdir -p $T/upper $T/work $T/mnt
  case $s in
    ours) DOCKER_ON_TOP_FUSE_JAR=$JAR $LAUNCH -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work $T/mnt >$T/mount.log 2>&1 || { cat $T/mount.log; exit 1; }
          PID=$(pgrep -f "upperdir=$T/upper" | head -1) ;;
    fovl) fuse-overlayfs -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work $T/mnt || exit 1
          PID=$(pgrep -f "fuse-overlayfs -o lowerdir=$LOWER,upperdir=$T/upper" | head -1) ;;
    proto) PID=$(PROTO_LOG=$T/proto.log $HERE/proto-fuse.sh $LOWER $T/mnt) || exit 1 ;;
    proto1) PID=$(PROTO_LOG=$T/proto.log $HERE/proto-fuse.sh $LOWER $T/mnt threads=1) || exit 1 ;;
    protoovl1) PID=$(PROTO_LOG=$T/proto.log $HERE/proto-fuse.sh $LOWER $T/mnt upper=$T/upper threads=1) || exit 1 ;;
    ours1) DOCKER_ON_TOP_FUSE_JAR=$JAR $LAUNCH -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work,threads=1 $T/mnt >$T/mount.log 2>&1 || { cat $T/mount.log; exit 1; }
          PID=$(pgrep -f "upperdir=$T/upper" | head -1) ;;
    protoovl) PID=$(PROTO_LOG=$T/proto.log $HERE/proto-fuse.sh $LOWER $T/mnt upper=$T/upper) || exit 1 ;;
  esac
  [ -n "$PID" ] || { echo "no pid for $s"; exit 1; }
  echo $PID > $CG/cgroup.procs
}
unmountit() {
  umount $T/mnt; while kill -0 $PID 2>/dev/null; do sleep 0.05; done
  rm -rf --one-file-system $T/upper $T/work
}
timed() { # label cmd...: runs the client, prints one line
  local label=$1; shift
  local c0 c1 out rc
  c0=$(cg); out=$("$@" 2>&1); rc=$?; c1=$(cg)
  read a0 u0 s0 <<<"$c0"; read a1 u1 s1 <<<"$c1"
  echo "$label $S ${out##* } $((a1-a0)) $((u1-u0)) $((s1-s0)) rc=$rc load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a $OUT
}
one() { # server workload
  S=$1; local w=$2
  mountit $S
  case $w in
    smallread) drop; timed smallread-cold python3 $FSOPS readall $T/mnt/small $DATA/small.list ;;
    walk) drop; timed walk-cold python3 $FSOPS walk $T/mnt/tree; timed walk-warm python3 $FSOPS walk $T/mnt/tree ;;
    neg) timed neg python3 $HERE/micro.py neg $T/mnt $N ;;
    warmup) f=$T/mnt/small/d000/f00000; stat $f >/dev/null
            timed neg-first1k python3 $HERE/micro.py neg $T/mnt 1000 a
            timed neg-next29k python3 $HERE/micro.py neg $T/mnt 29000 b
            timed oc-first1k python3 $HERE/micro.py openclose $f 1000
            timed oc-next29k python3 $HERE/micro.py openclose $f 29000 ;;
    openclose) stat $T/mnt/small/d000/f00000 >/dev/null; timed openclose python3 $HERE/micro.py openclose $T/mnt/small/d000/f00000 $N ;;
  esac
  [[ $S = proto* ]] && { unmountit; tail -1 $T/proto.log | sed "s/^/# $S $w /" >> $OUT; return; }
  unmountit
}
for r in $(seq 1 $ROUNDS); do
  for w in ${WLS//,/ }; do
    ss=${SERVERS//,/ }; [ $((r % 2)) = 0 ] && ss=$(tr ' ' '\n' <<<"$ss" | tac | tr '\n' ' ')
    for s in $ss; do one $s $w; done
  done
done
