#!/bin/bash
# run.sh TAG OPTS|kernel
tag=$1; o=$2; d=/tmp/hval/corners/$tag; rm -rf $d; mkdir -p $d/lower
if [ "$o" = kernel ]; then mkdir -p $d/upper $d/work $d/mnt; mount -t overlay o -o lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work $d/mnt
else /tmp/hval/mnt.sh $d "$o" >/dev/null; fi
python3 /tmp/hval/corners/corners.py $d/mnt > /tmp/hval/corners/out.$tag 2>&1
echo "rc=$?" >> /tmp/hval/corners/out.$tag
if [ "$o" = kernel ]; then umount $d/mnt; else /tmp/hval/umnt.sh $d; grep -E "ERROR|Exception" $d/fuse.log | head -5; fi
rm -rf $d
