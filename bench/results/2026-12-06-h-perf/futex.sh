#!/bin/bash
# futex.sh JAR: futex calls of a loop=java server (strace -c, all threads) while a client reads
# every file of the bench's small/ tree after a warm-up pass (caches dropped in between): contended
# monitors park and wake worker threads through futex.
set -u
JAR=$1
L=/var/tmp/bench-data/lower T=$(mktemp -d /var/tmp/hperf-futex.XXXXXX)
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
strace -f -c -e trace=futex -p $pid -o $T/strace.txt &
st=$!
sleep 1
readall
kill -INT $st; wait $st
grep -E "futex|total" $T/strace.txt | tail -2 | head -1
