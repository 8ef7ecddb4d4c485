#!/bin/bash
# pc.sh VARIANT: which methods the JIT compiles during the 5 listings (after create+stat)
v=$1; d=/var/tmp/h-rdir2/m-pc-$v
F=/work/wt-h-rdir2/bench/fsops.py
export JAR=/var/tmp/h-rdir2/$v.jar
export JAVA_TOOL_OPTIONS="-Xlog:jit+compilation=debug:file=/var/tmp/h-rdir2/jit.log:uptime"
pid=$(/var/tmp/h-rdir2/mnt.sh ours $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS
M=$d/mnt
sync; echo 3 > /proc/sys/vm/drop_caches
python3 $F files-create $M/new 10000 >/dev/null; python3 $F files-stat $M/new 10000 >/dev/null
sleep 1; n0=$(wc -l < jit.log)
python3 /var/tmp/h-rdir2/rd.py $M/new 10000
sleep 0.5; tail -n +$((n0+1)) jit.log > pc-$v.txt
umount $M
while [ -d /proc/$pid ]; do sleep 0.1; done
rm -rf --one-file-system $d $d.log
