#!/bin/bash
# micro.sh ROUNDS: ABBA of loop=libfuse (A) and loop=java (B) on 30,000 negative LOOKUPs then
# 30,000 open+close of one lower file, each on a fresh mount of /var/tmp/bench-data/lower with an
# empty upper; daemon CPU (utime+stime ticks of the server) and client wall per workload.
set -u
R=${1:-4}
L=/var/tmp/bench-data/lower
F=$(find $L -type f | head -1); REL=${F#$L/}
T=/tmp/hl/mic; mkdir -p $T
launcher=/work/wt-loop/src/bin/docker-on-top-fuse
export DOCKER_ON_TOP_FUSE_JAR=/tmp/hl/jar/docker-on-top-fuse.jar
tck=$(getconf CLK_TCK)
run() { # opts workload
  rm -rf $T/u $T/w; mkdir -p $T/u $T/w $T/m
  $launcher -o lowerdir=$L,upperdir=$T/u,workdir=$T/w$1 $T/m || exit 1
  pid=$(pgrep -f "workdir=$T/w" | head -1)
  sync; echo 3 > /proc/sys/vm/drop_caches
  c0=$(awk '{print $14+$15}' /proc/$pid/stat)
  if [ $2 = neg ]; then out=$(python3 /work/wt-loop/bench/proto/micro.py neg $T/m 30000); else out=$(python3 /work/wt-loop/bench/proto/micro.py openclose $T/m/$REL 30000); fi
  c1=$(awk '{print $14+$15}' /proc/$pid/stat)
  fusermount -u $T/m; sleep 0.3
  echo "$2 ${3} cpu_ms=$(( (c1-c0)*1000/tck )) wall=${out#* }"
}
for r in $(seq 1 $R); do
  if [ $((r%2)) = 1 ]; then order="A B"; else order="B A"; fi
  for x in $order; do
    if [ $x = A ]; then o=""; n=libfuse; else o=",loop=java"; n=java; fi
    for w in neg openclose; do run "$o" $w $n; done
  done
done
