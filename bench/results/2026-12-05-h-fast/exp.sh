#!/bin/bash
# Copied from /var/tmp/h-fast (session 5): expects the jars in /var/tmp/h-fast/jars/VARIANT/ and micro.py there.
# ABBA A/B of two docker-on-top-fuse jars: fresh mount per run, daemon utime/stime from /proc/PID/stat.
# usage: exp.sh OUT ROUNDS WORKLOAD[,W...] [VARIANTS=base,new]   (odd rounds in order, even rounds reversed)
set -u
OUT=$1; ROUNDS=$2; WLS=$3; VARS=${4:-base,new}
DATA=/var/tmp/bench-data; LOWER=$DATA/lower
FSOPS=/work/wt-h-fast/bench/fsops.py
LAUNCH=/work/wt-h-fast/src/bin/docker-on-top-fuse
T=/var/tmp/h-fast/run; mkdir -p $T
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
stat2() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; awk '{ print $12, $13 }' <<<"$s"; }
one() { # variant workload
  local v=$1 w=$2
  local extra=""; case $w in seqwrite|dwrite4k*) extra=",passthrough=off" ;; esac  # else the kernel writes the upper file itself
  rm -rf --one-file-system $T/upper $T/work; mkdir -p $T/upper $T/work $T/mnt
  DOCKER_ON_TOP_FUSE_JAR=/var/tmp/h-fast/jars/$v/docker-on-top-fuse.jar $LAUNCH -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work$extra $T/mnt >$T/mount.log 2>&1 || { echo mount failed; cat $T/mount.log; exit 1; }
  local pid; pid=$(pgrep -f "FuseMain -o lowerdir=$LOWER,upperdir=$T/upper" | head -1)
  drop
  case $w in seqread-lowerwarm) dd if=$LOWER/big.bin of=/dev/null bs=1M status=none ;; esac  # lower cached, the mount's not
  case $w in dread*) dd if=$LOWER/big.bin of=/dev/null bs=1M count=256 status=none ;; esac  # warm lower: CPU, not disk
  read u0 s0 < <(stat2 $pid)
  local t0=$EPOCHREALTIME
  case $w in
    randread) python3 $FSOPS randread $T/mnt/big.bin 20000 42 4096 >/dev/null ;;
    seqread-cold) dd if=$T/mnt/big.bin of=/dev/null bs=1M status=none ;;
    seqread-lowerwarm) dd if=$T/mnt/big.bin of=/dev/null bs=1M status=none ;;
    seqwrite) dd if=/dev/zero of=$T/mnt/written.bin bs=1M count=1024 conv=fsync status=none ;;
    dread4k) python3 /var/tmp/h-fast/micro.py dread $T/mnt/big.bin 30000 4096 $((16<<20)) ;;
    dread4k-100k) python3 /var/tmp/h-fast/micro.py dread $T/mnt/big.bin 100000 4096 $((16<<20)) ;;
    dwrite4k-100k) python3 /var/tmp/h-fast/micro.py dwrite $T/mnt/w.bin 100000 4096 $((16<<20)) ;;
    dread1m) python3 /var/tmp/h-fast/micro.py dread $T/mnt/big.bin 2000 $((1<<20)) $((256<<20)) ;;
    dwrite4k) python3 /var/tmp/h-fast/micro.py dwrite $T/mnt/w.bin 30000 4096 $((16<<20)) ;;
    smallread-cold) python3 $FSOPS readall $T/mnt/small $DATA/small.list >/dev/null ;;
  esac
  local rc=$? t1=$EPOCHREALTIME
  read u1 s1 < <(stat2 $pid)
  fusermount -u $T/mnt; while kill -0 $pid 2>/dev/null; do sleep 0.05; done
  rm -rf --one-file-system $T/upper $T/work
  echo "$w $v $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.3f", b-a}') $((u1-u0)) $((s1-s0)) rc=$rc load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a $OUT
}
for r in $(seq 1 $ROUNDS); do
  for w in ${WLS//,/ }; do
    vs=${VARS//,/ }; [ $((r % 2)) = 0 ] && vs=$(tr ' ' '\n' <<<"$vs" | tac | tr '\n' ' ')
    for v in $vs; do one $v $w; done
  done
done
