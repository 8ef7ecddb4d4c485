#!/bin/bash
# tr5.sh FS TAG: fresh mount, files-create+stat, listing traced with syscalls
fs=$1; tag=$2; d=/var/tmp/h-rdir/m-t5-$fs
F=/work/wt-rdir/bench/fsops.py
pid=$(/var/tmp/h-rdir/mnt.sh $fs $d) || exit 1
M=$d/mnt
sync; echo 3 > /proc/sys/vm/drop_caches
python3 $F files-create $M/new 10000 >/dev/null; python3 $F files-stat $M/new 10000 >/dev/null
/var/tmp/h-rdir/trace2.sh $M $pid /var/tmp/h-rdir/t5-$tag.txt python3 /var/tmp/h-rdir/rd.py $M/new 10000
umount $M; rm -rf --one-file-system $d $d.log
while [ -d /proc/$pid ]; do sleep 0.1; done
