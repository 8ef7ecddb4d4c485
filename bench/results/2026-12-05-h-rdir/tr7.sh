#!/bin/bash
# tr7.sh VARIANT: fresh mount, files-create+stat, listing traced with syscalls; prints the READDIRPLUS phases
v=$1; d=/var/tmp/h-rdir/m-t7-$v
F=/work/wt-rdir/bench/fsops.py
jv=JAR_$v; tv=JTO_$v
export JAR=${!jv:-/var/tmp/h-rdir/base.jar}
[ -n "${!tv:-}" ] && export JAVA_TOOL_OPTIONS="${!tv}"
pid=$(/var/tmp/h-rdir/mnt.sh ours $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS
M=$d/mnt
sync; echo 3 > /proc/sys/vm/drop_caches
python3 $F files-create $M/new 10000 >/dev/null; python3 $F files-stat $M/new 10000 >/dev/null
/var/tmp/h-rdir/trace2.sh $M $pid $d.tr python3 /var/tmp/h-rdir/rd.py $M/new 10000 > $d.rd
python3 /var/tmp/h-rdir/ph.py $d.tr $v | tr '\n' ' '; cat $d.rd
umount $M; rm -rf --one-file-system $d $d.log $d.tr $d.rd
while [ -d /proc/$pid ]; do sleep 0.1; done
