#!/bin/bash
# perf2.sh VARIANT OUT: steady state: 10,000 files, then 300 x (create one, list), perf'd
v=$1; out=$2; d=/var/tmp/h-rdir2/m-p2-$v
F=/work/wt-h-rdir2/bench/fsops.py
export JAR=/var/tmp/h-rdir2/$v.jar
export JAVA_TOOL_OPTIONS="-XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"
pid=$(/var/tmp/h-rdir2/mnt.sh ours $d 2>/dev/null) || exit 1
unset JAVA_TOOL_OPTIONS
M=$d/mnt
python3 $F files-create $M/new 10000 >/dev/null
python3 /var/tmp/h-rdir2/loop.py $M/new 100
perf record -F 10000 -g -p $pid -o $out.data 2>/dev/null & pp=$!
sleep 1
time python3 /var/tmp/h-rdir2/loop.py $M/new 300
kill -INT $pp; wait $pp
umount $M
while [ -d /proc/$pid ]; do sleep 0.1; done
rm -rf --one-file-system $d $d.log
