#!/bin/bash
# hl2.sh ROUNDS EXTRA: sizerace 400 + samefile 3000 per mount, ABBA, with the "after 0.2 s" lines
rounds=$1; extra=$2
B=/tmp/hval/hl2; mkdir -p $B; S=$B/summary${extra:+-$extra}.txt
for r in $(seq $rounds); do
  case $((r % 4)) in 1|0) order="java libfuse";; *) order="libfuse java";; esac
  for lp in $order; do
    d=$B/m-$lp; rm -rf $d
    HVAL_JAR=/tmp/hval/jar-fix.jar /tmp/hval/mnt.sh $d "loop=$lp${extra:+,$extra}" >/dev/null || exit 2
    mkdir -p $d/mnt/s $d/mnt/z
    sz=$(timeout 600 python3 /work/wt-h-val/bench/hardlink-sizerace.py $d/mnt/z 400 2>&1)
    sf=$(timeout 600 python3 /work/wt-h-val/bench/hardlink-samefile.py $d/mnt/s 3000 2>&1)
    echo "r=$r loop=$lp $extra | sizerace: $(echo "$sz" | tail -1) | samefile: $(echo "$sf" | grep -E ': [0-9]+ stale' | tr '\n' ' ') | later: right $(echo "$sf" | grep -c 'after 0.2 s right') still-wrong $(echo "$sf" | grep -c 'still wrong') | sizerace fstat-fixes: $(echo "$sz" | grep -c 'round')" | tee -a $S
    echo "$sz" | grep round | head -1 >> $S
    /tmp/hval/umnt.sh $d | sed "s/^/  /" >> $S
  done
done
