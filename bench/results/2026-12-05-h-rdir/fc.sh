#!/bin/bash
# fc.sh VARIANT: fresh mount; the first create (one file) timed alone, then files-create of 10,000; daemon CPU by cgroup
v=$1; d=/var/tmp/h-rdir/m-fc-$v
F=/work/wt-rdir/bench/fsops.py
jv=JAR_$v; tv=JTO_$v
export JAR=${!jv:-/var/tmp/h-rdir/base.jar}
[ -n "${!tv:-}" ] && export JAVA_TOOL_OPTIONS="${!tv}"
pid=$(/var/tmp/h-rdir/mnt.sh ours $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS
M=$d/mnt
cg=/sys/fs/cgroup/cpuacct/h-rdir-$$; mkdir $cg; echo $pid > $cg/cgroup.procs
ns(){ cat $cg/cpuacct.usage; }
sync; echo 3 > /proc/sys/vm/drop_caches
n0=$(ns); t=$(python3 -c "
import os,time; t=time.perf_counter(); os.close(os.open('$M/first', os.O_CREAT|os.O_WRONLY, 0o644)); print('%.2f' % ((time.perf_counter()-t)*1e3))"); n1=$(ns)
cr=$(python3 $F files-create $M/new 10000); n2=$(ns)
echo "$v first_create_ms $t first_cpu_us $(( (n1-n0)/1000 )) create ${cr##* } create_cpu_us $(( (n2-n1)/1000 ))"
umount $M; rm -rf --one-file-system $d $d.log
while [ -d /proc/$pid ]; do sleep 0.1; done
rmdir $cg
