#!/bin/bash
# fsxhl2.sh TAG RENAMEDIR(0|1) : fsx on a second name of a file while names of it come and go in dir o/ (and
# o/ is renamed back and forth if RENAMEDIR=1), caches dropped every 20 rounds; jar-TAG, loop=java
tag=$1; rd=$2; B=/tmp/hval2/fsx2-$tag-$rd; rm -rf $B; mkdir -p $B; S=$B/summary.txt
churn() { local d=$1 f=$2 i=0
  while [ -e $d/churn.on ]; do i=$((i+1))
    ln $d/mnt/$f $d/mnt/o/x$i 2>/dev/null
    if [ $rd = 1 ]; then mv $d/mnt/o $d/mnt/o2 2>/dev/null; mv $d/mnt/o2 $d/mnt/o 2>/dev/null; fi
    rm -f $d/mnt/o/x$((i-1)); [ $((i % 7)) = 0 ] && rm -f $d/mnt/o/first; cat $d/mnt/o/x$i > /dev/null 2>&1
    [ $((i % 20)) = 0 ] && echo 2 > /proc/sys/vm/drop_caches; sleep 0.05; done; }
for pt in "" ",passthrough=off"; do
  d=$B/m${pt:+-ptoff}; HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d "loop=java$pt" >/dev/null; echo "# $tag renamedir=$rd $pt" | tee -a $S
  for s in 3 4; do mkdir -p $d/mnt/o; : > $d/mnt/o/first; ln $d/mnt/o/first $d/mnt/hlc-$s; lg=$d/logs/$s; mkdir -p $lg
    touch $d/churn.on; churn $d hlc-$s & 
    timeout 900 /tmp/fsx/fsx -N 50000 -S $s -P $lg -c 50 $d/mnt/hlc-$s > $lg/out.txt 2>&1; echo "hlc seed=$s rc=$? $(tail -1 $lg/out.txt) $(grep -m1 -E 'No such|Stale|error' $lg/out.txt)" | tee -a $S
    rm -f $d/churn.on; wait; rm -rf $d/mnt/o $d/mnt/o2; done
  /tmp/hval2/umnt.sh $d | tr '\n' ' ' | tee -a $S; echo | tee -a $S
done
