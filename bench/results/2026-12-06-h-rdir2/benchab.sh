#!/bin/bash
# benchab.sh ROUNDS RUNS: overlay-bench --only files on ours (JAR) and fuse-overlayfs, ABBA of base/new1 per round
R=$1; N=$2
B=/work/wt-h-rdir2/bench/overlay-bench.sh
one() { # VARIANT TAG
  $B --mounts docker-on-top-fuse,fuse-overlayfs --only files --runs $N --data /var/tmp/bench-data \
     --ours-cmd "env DOCKER_ON_TOP_FUSE_JAR=/var/tmp/h-rdir2/$1.jar /work/main/src/bin/docker-on-top-fuse" \
     --out /var/tmp/h-rdir2/bench/$2-$1.md > /var/tmp/h-rdir2/bench/$2-$1.log 2>&1
  echo "$(date +%T) $2 $1 rc=$? load $(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq 1 $R); do
  if [ $((r % 2)) = 1 ]; then o="base new1 new1 base"; else o="new1 base base new1"; fi
  i=0; for v in $o; do i=$((i+1)); one $v r$r-$i; done
done
