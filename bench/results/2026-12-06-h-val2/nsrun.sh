#!/bin/bash
# nsrun.sh TAG(new|base|kernel) SEED [procs ops]: nsfuzz on a fresh mount with a lower tree
tag=$1; seed=$2; P=${3:-4}; N=${4:-4000}; d=/tmp/hval2/corners/ns-$tag-$seed; rm -rf $d; mkdir -p $d/lower/lo/in $d/lower/d1
for n in a b c f; do echo lower-$n > $d/lower/lo/$n; echo lower-$n > $d/lower/lo/in/$n; echo l > $d/lower/d1/$n; done
ln $d/lower/lo/a $d/lower/lo/g
if [ $tag = kernel ]; then mkdir -p $d/upper $d/work $d/mnt; mount -t overlay o -o lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work $d/mnt
 timeout 900 python3 /tmp/hval2/corners/nsfuzz.py $d/mnt $P $N $seed > $d.out 2>&1; umount $d/mnt
 echo "$tag seed=$seed | $(head -2 $d.out | tr '\n' ' ')"; exit; fi
HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d "loop=java" > $d.pid
pid=$(cat $d.pid); fd0=$(ls /proc/$pid/fd | wc -l)
timeout 900 python3 /tmp/hval2/corners/nsfuzz.py $d/mnt $P $N $seed > $d.out 2>&1
sleep 1; fd1=$(ls /proc/$pid/fd | wc -l)
echo "$tag seed=$seed fds $fd0 -> $fd1 | $(head -2 $d.out | tr '\n' ' ')"
/tmp/hval2/umnt.sh $d | sed 's/^/  /'; grep -E "ERROR|Exception" $d/fuse.log | head -3
