#!/bin/bash
# hl2.sh ROUNDS: sizerace 400 + samefile 3000 + mmapnosync per mount, base vs fix ABBA
rounds=$1; B=/tmp/hval2/hl2; mkdir -p $B; S=$B/summary.txt
for r in $(seq $rounds); do
  case $((r % 2)) in 1) order="fix base";; *) order="base fix";; esac
  for t in $order; do
    d=$B/m-$t; rm -rf $d
    HVAL_JAR=/tmp/hval2/jar-$t.jar /tmp/hval2/mnt.sh $d "loop=java" >/dev/null || exit 2
    mkdir -p $d/mnt/s $d/mnt/z $d/mnt/m
    sz=$(timeout 600 python3 /work/wt-h-val2/bench/hardlink-sizerace.py $d/mnt/z 400 2>&1)
    sf=$(timeout 600 python3 /work/wt-h-val2/bench/hardlink-samefile.py $d/mnt/s 3000 2>&1)
    mm=$(timeout 60 python3 /tmp/hval2/corners/mmapnosync.py $d/mnt/m 2>&1 | tr '\n' ' ')
    echo "r=$r $t | sizerace: $(echo "$sz" | tail -1) | samefile: $(echo "$sf" | grep -E ': [0-9]+ stale' | tr '\n' ' ') | mmap: $mm" | tee -a $S
    /tmp/hval2/umnt.sh $d | tr '\n' ' ' >> $S; echo >> $S
  done
done
