#!/bin/bash
# nsrun.sh LOOP SEED [extra opts]: nsfuzz on a fresh mount with a lower tree
lp=$1; seed=$2; ex=${3:-}; d=/tmp/hval/corners/ns-$lp-$seed; rm -rf $d; mkdir -p $d/lower/lo/in $d/lower/d1
for n in a b c f; do echo lower-$n > $d/lower/lo/$n; echo lower-$n > $d/lower/lo/in/$n; echo l > $d/lower/d1/$n; done
ln $d/lower/lo/a $d/lower/lo/g
/tmp/hval/mnt.sh $d "loop=$lp$ex" > $d.pid
pid=$(cat $d.pid); fd0=$(ls /proc/$pid/fd | wc -l)
timeout 900 python3 /tmp/hval/corners/nsfuzz.py $d/mnt 4 4000 $seed > $d.out 2>&1
sleep 1; fd1=$(ls /proc/$pid/fd | wc -l)
echo "loop=$lp$ex seed=$seed fds $fd0 -> $fd1 | $(head -2 $d.out | tr '\n' ' ')"
ls -A $d/work/* 2>/dev/null | head -3 | sed 's/^/  work: /'
/tmp/hval/umnt.sh $d | sed 's/^/  /'; grep -E "ERROR|Exception" $d/fuse.log | head -3
ls -A $d/work/work 2>/dev/null | head; 
