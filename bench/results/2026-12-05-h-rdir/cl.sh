#!/bin/bash
# cl.sh VARIANT: which classes a fresh mount loads in each step after it is up (-Xlog:class+load)
v=$1; d=/var/tmp/h-rdir/m-cl-$v; F=/work/wt-rdir/bench/fsops.py; log=/var/tmp/h-rdir/cl-$v.log
jv=JAR_$v; export JAR=${!jv:-/var/tmp/h-rdir/base.jar}
export JAVA_TOOL_OPTIONS="-Xlog:class+load=info:file=$log:uptimenanos"
pid=$(/var/tmp/h-rdir/mnt.sh ours $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS; M=$d/mnt; sleep 0.3
step() { local name=$1; shift; local n0=$(wc -l < $log); "$@" > /dev/null; local n1=$(wc -l < $log)
  sed -n "$((n0+1)),${n1}p" $log | awk -v s=$name -v v=$v '{t=substr($1,2)+0; if(NR==1)a=t; b=t} END{printf "%s %-14s classes %3d  span %.1f ms\n", v, s, NR, (b-a)/1e6}'; }
sync; echo 3 > /proc/sys/vm/drop_caches
step first-create touch $M/first
step files-create python3 $F files-create $M/new 2000
step files-stat python3 $F files-stat $M/new 2000
step files-readdir python3 $F files-readdir $M/new 2000
step files-unlink python3 $F files-unlink $M/new 2000
step walk python3 $F walk $M/tree
step copyup-append sh -c "echo x >> $M/copyup.bin"
step read-lower dd if=$M/small/$(ls /var/tmp/bench-data/lower/small | head -1) of=/dev/null status=none
step rename-lower mv $M/ren/$(ls /var/tmp/bench-data/lower/ren | head -1) $M/ren/renamed
step seqwrite dd if=/dev/zero of=$M/w bs=1M count=8 status=none
umount $M; rm -rf --one-file-system $d $d.log
while [ -d /proc/$pid ]; do sleep 0.1; done
