#!/bin/bash
# reqs.sh OUT: the FUSE requests each server gets in abba.sh's workloads (bench/fuse-requests.sh,
# kernel tracepoint), one untimed run each; lines "workload server count" for summary.py.
set -u
OUT=$1
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
DATA=/var/tmp/bench-data; LOWER=$DATA/lower; FSOPS=$HERE/../fsops.py; FR=$HERE/../fuse-requests.sh
JAR=${JAR:-/var/tmp/h-proto/jars/docker-on-top-fuse.jar}; LAUNCH=$HERE/../../src/bin/docker-on-top-fuse
T=/var/tmp/h-proto/rq
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
mountit() {
  rm -rf --one-file-system $T; mkdir -p $T/upper $T/work $T/mnt
  case $1 in
    ours) DOCKER_ON_TOP_FUSE_JAR=$JAR $LAUNCH -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work $T/mnt >/dev/null 2>&1
          PID=$(pgrep -f "upperdir=$T/upper" | head -1) ;;
    fovl) fuse-overlayfs -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work $T/mnt 2>/dev/null
          PID=$(pgrep -f "fuse-overlayfs -o lowerdir=$LOWER,upperdir=$T/upper" | head -1) ;;
    proto*) PID=$($HERE/proto-fuse.sh $LOWER $T/mnt) ;;
  esac
}
unmountit() { umount $T/mnt; while kill -0 $PID 2>/dev/null; do sleep 0.05; done; rm -rf --one-file-system $T; }
count() { "$FR" $T/mnt "$@" | awk '/ total$/ {print $1}'; }
for s in ours fovl proto; do
  mountit $s; drop; echo "smallread-cold $s $(count python3 $FSOPS readall $T/mnt/small $DATA/small.list)" | tee -a $OUT; unmountit
  mountit $s; drop; echo "walk-cold $s $(count python3 $FSOPS walk $T/mnt/tree)" | tee -a $OUT
  echo "walk-warm $s $(count python3 $FSOPS walk $T/mnt/tree)" | tee -a $OUT; unmountit
  mountit $s; echo "neg $s $(count python3 $HERE/micro.py neg $T/mnt 30000)" | tee -a $OUT; unmountit
  mountit $s; stat $T/mnt/small/d000/f00000 >/dev/null; echo "openclose $s $(count python3 $HERE/micro.py openclose $T/mnt/small/d000/f00000 30000)" | tee -a $OUT; unmountit
done
