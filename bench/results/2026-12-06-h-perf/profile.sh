#!/bin/bash
# profile.sh JAR OUT: perf cpu-clock:u of a loop=java server (JIT perf map by jcmd Compiler.perfmap)
# while a client reads every file of the bench's small/ tree (lookup, open, read, release: what
# smallread-cold asks), after a warm-up pass over the same files (caches dropped in between).
set -u
JAR=$1 OUT=$2
L=/var/tmp/bench-data/lower T=$(mktemp -d /var/tmp/hperf-prof.XXXXXX)
launcher=$(cd "$(dirname "$0")/../../.." && pwd)/src/bin/docker-on-top-fuse
trap 'mountpoint -q $T/m && fusermount -u $T/m; rm -rf $T' EXIT
mkdir -p $T/u $T/w $T/m
DOCKER_ON_TOP_FUSE_JAR=$JAR $launcher -o lowerdir=$L,upperdir=$T/u,workdir=$T/w,loop=java $T/m || exit 1
pid=$(pgrep -f "workdir=$T/w" | head -1)
readall() { python3 -c 'import os,sys
for d,_,fs in os.walk(sys.argv[1]):
    for f in fs:
        with open(os.path.join(d,f),"rb") as h: h.read()' $T/m/small; }
readall; sync; echo 3 > /proc/sys/vm/drop_caches
# a fresh mount's nodes are cached by the kernel now: drop them too (the mount stays)
perf record -q -e cpu-clock:u -p $pid -o $T/perf.data -- sleep 600 2>/dev/null &
rec=$!
sleep 0.5
readall
jcmd $pid Compiler.perfmap >/dev/null
kill -INT $rec; wait $rec
perf report -i $T/perf.data --no-children --sort sym --stdio 2>/dev/null | grep -v "^# [^S]\|^#$\|^$" | head -300 > $OUT
rm -f /tmp/perf-$pid.map
