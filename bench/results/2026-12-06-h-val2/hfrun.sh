#!/bin/bash
# hfrun.sh TAG SEED P N DROP : hlfuzz on a fresh mount (kernel or jar-TAG); server fds, RSS, log, workdir
tag=$1; seed=$2; P=$3; N=$4; dr=${5:-0}; d=/tmp/hval2/hf/$tag-$seed-$dr; rm -rf $d; mkdir -p $d/lower
if [ $tag = kernel ]; then mkdir -p $d/upper $d/work $d/mnt; mount -t overlay o -o lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work $d/mnt
 python3 /tmp/hval2/corners/hlfuzz.py $d/mnt $P $N $seed $dr > $d.out 2>&1; umount $d/mnt
 echo "$tag seed=$seed drop=$dr | $(head -2 $d.out | tr '\n' ' ')"; exit; fi
pid=$(HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d "loop=java")
fd0=$(ls /proc/$pid/fd | wc -l)
t0=$(date +%s.%N)
timeout 1200 python3 /tmp/hval2/corners/hlfuzz.py $d/mnt $P $N $seed $dr > $d.out 2>&1
t1=$(date +%s.%N)
sleep 1; fd1=$(ls /proc/$pid/fd | wc -l); rss=$(grep VmRSS /proc/$pid/status | awk '{print $2}')
echo "$tag seed=$seed drop=$dr $(printf %.0f $(echo "$t1-$t0"|bc))s fds $fd0->$fd1 rss ${rss}k | $(head -2 $d.out | tr '\n' ' ')"
/tmp/hval2/umnt.sh $d | tr '\n' ' '; echo; grep -E "ERROR|Exception" $d/fuse.log | head -3
