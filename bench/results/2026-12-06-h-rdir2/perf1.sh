#!/bin/bash
# perf1.sh VARIANT OUT: fresh mount, create+stat, then perf record -g of the daemon during the 5 listings
v=$1; out=$2; d=/var/tmp/h-rdir2/m-p-$v
F=/work/wt-h-rdir2/bench/fsops.py
export JAR=/var/tmp/h-rdir2/$v.jar
export JAVA_TOOL_OPTIONS="-XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"
pid=$(/var/tmp/h-rdir2/mnt.sh ours $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS
M=$d/mnt
sync; echo 3 > /proc/sys/vm/drop_caches
python3 $F files-create $M/new 10000 >/dev/null; python3 $F files-stat $M/new 10000 >/dev/null
perf record -F 20000 -g -p $pid -o $out.data 2>/dev/null & pp=$!
sleep 1
python3 /var/tmp/h-rdir2/rd.py $M/new 10000
sleep 0.2; kill -INT $pp; wait $pp
umount $M
while [ -d /proc/$pid ]; do sleep 0.1; done
cp /tmp/perf-$pid.map /tmp/ 2>/dev/null; echo pid $pid
rm -rf --one-file-system $d $d.log
