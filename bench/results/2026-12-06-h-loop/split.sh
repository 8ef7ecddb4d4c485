#!/bin/bash
# split.sh OPTS N: one fresh mount, N negative lookups twice (second = warm JIT); utime/stime ticks of each pass
L=/var/tmp/bench-data/lower; T=/tmp/hl/mic; mkdir -p $T
export DOCKER_ON_TOP_FUSE_JAR=/tmp/hl/jar/docker-on-top-fuse.jar
rm -rf $T/u $T/w; mkdir -p $T/u $T/w $T/m
/work/wt-loop/src/bin/docker-on-top-fuse -o lowerdir=$L,upperdir=$T/u,workdir=$T/w$1 $T/m || exit 1
pid=$(pgrep -f "workdir=$T/w" | head -1)
for pass in 1 2; do
  read u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
  out=$(python3 /work/wt-loop/bench/proto/micro.py neg $T/m $2 p$pass)
  read u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
  echo "opts='$1' pass=$pass user=$((u1-u0)) sys=$((s1-s0)) ticks wall=${out#* }"
done
fusermount -u $T/m
