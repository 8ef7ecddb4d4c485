#!/bin/bash
# fuse-overlayfs for context: same workloads as exp.sh's micro ones. usage: fovl.sh OUT RUNS WORKLOAD
OUT=$1; RUNS=$2; w=$3
LOWER=/var/tmp/bench-data/lower; T=/var/tmp/h-fast/runf; mkdir -p $T
stat2() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; awk '{ print $12, $13 }' <<<"$s"; }
for r in $(seq 1 $RUNS); do
  rm -rf $T/upper $T/work; mkdir -p $T/upper $T/work $T/mnt
  fuse-overlayfs -o lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work $T/mnt
  pid=$(pgrep -f "fuse-overlayfs -o lowerdir=$LOWER,upperdir=$T/upper" | head -1)
  sync; echo 3 >/proc/sys/vm/drop_caches
  case $w in dread*) dd if=$LOWER/big.bin of=/dev/null bs=1M count=256 status=none ;; seqread-lowerwarm) dd if=$LOWER/big.bin of=/dev/null bs=1M status=none ;; esac
  read u0 s0 < <(stat2 $pid); t0=$EPOCHREALTIME
  case $w in
    dread4k-100k) python3 /var/tmp/h-fast/micro.py dread $T/mnt/big.bin 100000 4096 $((16<<20)) ;;
    dwrite4k-100k) python3 /var/tmp/h-fast/micro.py dwrite $T/mnt/w.bin 100000 4096 $((16<<20)) ;;
    dread1m) python3 /var/tmp/h-fast/micro.py dread $T/mnt/big.bin 2000 $((1<<20)) $((256<<20)) ;;
    seqread-lowerwarm) dd if=$T/mnt/big.bin of=/dev/null bs=1M status=none ;;
  esac
  rc=$?; t1=$EPOCHREALTIME
  read u1 s1 < <(stat2 $pid)
  fusermount -u $T/mnt; while kill -0 $pid 2>/dev/null; do sleep 0.05; done
  rm -rf $T/upper $T/work
  echo "$w fovl $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.3f", b-a}') $((u1-u0)) $((s1-s0)) rc=$rc load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a $OUT
done
