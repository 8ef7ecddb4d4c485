#!/bin/bash
# ab.sh VARIANT: one fresh-mount run of files-create, files-stat, then the 5 listings (rd.py), READDIRPLUS traced.
# VARIANT: base | any name with env JAR_<name> / JTO_<name>
v=$1; d=/var/tmp/h-rdir/m-ab-$v
F=/work/wt-rdir/bench/fsops.py
jv=JAR_$v; tv=JTO_$v
export JAR=${!jv:-/var/tmp/h-rdir/base.jar}
[ -n "${!tv:-}" ] && export JAVA_TOOL_OPTIONS="${!tv}"
fs=ours; [ $v = fovl ] && fs=fovl
pid=$(/var/tmp/h-rdir/mnt.sh $fs $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS
M=$d/mnt
cpu(){ s=$(<"/proc/$pid/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }
cg=/sys/fs/cgroup/cpuacct/h-rdir-$$; mkdir $cg; echo $pid > $cg/cgroup.procs
ns(){ cat $cg/cpuacct.usage; }
sync; echo 3 > /proc/sys/vm/drop_caches
n0=$(ns); c0=$(cpu); cr=$(python3 $F files-create $M/new 10000); c1=$(cpu); st=$(python3 $F files-stat $M/new 10000); c2=$(cpu); n1=$(ns)
n2=$(ns); /var/tmp/h-rdir/trace.sh $M $d.tr python3 /var/tmp/h-rdir/rd.py $M/new 10000 > $d.rd; c3=$(cpu); n3=$(ns)
rp=$(python3 /var/tmp/h-rdir/lat.py $d.tr | awk '/READDIRPLUS/ {print $5}')
echo "$v create ${cr##* } $((c1-c0)) createstat_us $(( (n1-n0)/1000 )) stat ${st##* } $((c2-c1)) readdir $(awk '{print $2}' $d.rd) first $(awk "{print \$5}" $d.rd) rdplus_us $rp cpu $((c3-c2)) cpu_us $(( (n3-n2)/1000 ))"
umount $M; rm -rf --one-file-system $d $d.log $d.tr $d.rd
while [ -d /proc/$pid ]; do sleep 0.1; done
rmdir $cg
