#!/bin/bash
# ab.sh VARIANT: fresh mount, files-create + files-stat, then the 5 listings (rd.py) traced.
# VARIANT: fovl | a name with /var/tmp/h-rdir2/NAME.jar. Prints one line; keeps the trace in out/VARIANT-N.tr if KEEP=1.
v=$1; d=/var/tmp/h-rdir2/m-$v
F=/work/wt-h-rdir2/bench/fsops.py
export JAR=/var/tmp/h-rdir2/$v.jar
fs=ours; [ $v = fovl ] && fs=fovl
pid=$(/var/tmp/h-rdir2/mnt.sh $fs $d 2>/dev/null) || exit 1
M=$d/mnt
cpu(){ s=$(<"/proc/$pid/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }
cg=/sys/fs/cgroup/cpuacct/h-rdir2-$$; mkdir $cg; echo $pid > $cg/cgroup.procs
ns(){ cat $cg/cpuacct.usage; }
sync; echo 3 > /proc/sys/vm/drop_caches
cr=$(python3 $F files-create $M/new 10000); st=$(python3 $F files-stat $M/new 10000)
n2=$(ns); /var/tmp/h-rdir2/trace.sh $M $d.tr python3 /var/tmp/h-rdir2/rd.py $M/new 10000 > $d.rd; n3=$(ns)
rp=$(python3 /var/tmp/h-rdir2/lat.py $d.tr | awk '/READDIRPLUS/ {print $5}')
rdsum=$(python3 /var/tmp/h-rdir2/lat.py $d.tr | awk '$3=="READDIR" {s+=$5; n++} END {printf "%.0f/%d", s, n}')
echo "$v create ${cr##* } stat ${st##* } readdir $(awk '{print $2}' $d.rd) first $(awk "{print \$5}" $d.rd) rdplus_us $rp readdirs_us $rdsum cpu_us $(( (n3-n2)/1000 ))"
if [ -n "$KEEP" ]; then mkdir -p out; python3 /var/tmp/h-rdir2/lat.py $d.tr > out/$v-$KEEP.lat; fi
umount $M; rm -rf --one-file-system $d $d.log $d.tr $d.rd
while [ -d /proc/$pid ]; do sleep 0.1; done
rmdir $cg
