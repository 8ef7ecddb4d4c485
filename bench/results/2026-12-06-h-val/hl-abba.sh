#!/bin/bash
# hl-abba.sh ROUNDS EXTRAOPTS: samefile/sizerace/mmap gap on loop=java and loop=libfuse in ABBA order
rounds=$1; extra=$2
B=/tmp/hval/hl; mkdir -p $B; S=$B/summary${extra:+-$extra}.txt
for r in $(seq $rounds); do
  if [ $((r % 2)) = 1 ]; then order="java libfuse"; else order="libfuse java"; fi
  for lp in $order; do
    d=$B/m-$lp; rm -rf $d
    /tmp/hval/mnt.sh $d "loop=$lp${extra:+,$extra}" >/dev/null || { echo "mount fail"; exit 2; }
    mkdir -p $d/mnt/s $d/mnt/z $d/mnt/k
    sf=$(timeout 600 python3 /work/wt-h-val/bench/hardlink-samefile.py $d/mnt/s 4000 2>&1 | grep -E ': [0-9]+ stale' | tr '\n' ' ')
    sz=$(timeout 600 python3 /work/wt-h-val/bench/hardlink-sizerace.py $d/mnt/z 400 2>&1 | tail -1)
    mm=$(python3 /tmp/fsx/mmapnosync.py $d/mnt/k 2>&1 | tr '\n' ' ')
    echo "r=$r loop=$lp $extra | samefile: $sf| sizerace: $sz | mmap: $mm" | tee -a $S
    /tmp/hval/umnt.sh $d | sed "s/^/  /" | tee -a $S
  done
done
