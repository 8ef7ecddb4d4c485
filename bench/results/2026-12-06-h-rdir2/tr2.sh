#!/bin/bash
# tr2.sh VARIANT TAG: as tr.sh, then a second new directory on the same mount, traced -> t-TAG.txt and t-TAG-w.txt
v=$1; tag=$2; d=/var/tmp/h-rdir2/m-t-$v
F=/work/wt-h-rdir2/bench/fsops.py
export JAR=/var/tmp/h-rdir2/$v.jar
fs=ours; [ $v = fovl ] && fs=fovl
pid=$(/var/tmp/h-rdir2/mnt.sh $fs $d) || exit 1
M=$d/mnt
sync; echo 3 > /proc/sys/vm/drop_caches
python3 $F files-create $M/new 10000 >/dev/null; python3 $F files-stat $M/new 10000 >/dev/null
/var/tmp/h-rdir2/trace2.sh $M $pid /var/tmp/h-rdir2/t-$tag.txt python3 /var/tmp/h-rdir2/rd.py $M/new 10000 >/dev/null
python3 $F files-create $M/new2 10000 >/dev/null; python3 $F files-stat $M/new2 10000 >/dev/null
/var/tmp/h-rdir2/trace2.sh $M $pid /var/tmp/h-rdir2/t-$tag-w.txt python3 /var/tmp/h-rdir2/rd.py $M/new2 10000 >/dev/null
umount $M; rm -rf --one-file-system $d $d.log
while [ -d /proc/$pid ]; do sleep 0.1; done
python3 /var/tmp/h-rdir2/ph.py /var/tmp/h-rdir2/t-$tag.txt $v-cold
python3 /var/tmp/h-rdir2/ph.py /var/tmp/h-rdir2/t-$tag-w.txt $v-warm
