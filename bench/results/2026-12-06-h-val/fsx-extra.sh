#!/bin/bash
# fsx-extra.sh: O_DIRECT fsx (no mmap, 4 KiB aligned) on both loops, passthrough on/off, new and lower file
B=/tmp/hval/fsx-extra; mkdir -p $B; S=$B/summary.txt
F=/tmp/hval/fsx1.sh
for lp in java libfuse libfuse java; do
 for pt in "" ",passthrough=off"; do
  d=$B/$lp${pt:+-ptoff}; rm -rf $d
  for s in 601 602; do /tmp/hval/mklower.sh $d lowz $s; done
  /tmp/hval/mnt.sh $d "loop=$lp$pt" >/dev/null || { echo "MOUNT FAIL" | tee -a $S; continue; }
  echo "# loop=$lp$pt" | tee -a $S
  for s in 701 702; do $F $d z $s 20000 -Z -R -W -r 4096 -w 4096 -t 4096 | tee -a $S; done
  for s in 601 602; do $F $d lowz $s 20000 -Z -R -W -r 4096 -w 4096 -t 4096 | tee -a $S; done
  # O_DIRECT and buffered mixed: one O_DIRECT fsx beside a buffered one on another file
  $F $d zmix 711 20000 -Z -R -W -r 4096 -w 4096 -t 4096 > $d/mix1 & $F $d bmix 712 40000 -c 50 > $d/mix2 & wait
  cat $d/mix1 $d/mix2 | tee -a $S
  /tmp/hval/umnt.sh $d | sed "s/^/  /" | tee -a $S
 done
done
echo "DONE $(grep -c 'A-OK' $S) ok, $(grep -c 'rc=[1-9]' $S) failed" | tee -a $S
