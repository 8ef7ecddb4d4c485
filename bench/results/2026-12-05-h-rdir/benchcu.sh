#!/bin/bash
# benchab.sh ROUNDS: overlay-bench.sh (ours only; files, walk-cold, walk-warm; 1 run) with base.jar and new.jar, ABBA
n=$1
one() {  # VARIANT ROUND SLOT
    /work/wt-rdir/bench/overlay-bench.sh --runs 1 --only copyup-append,smallread-cold --mounts docker-on-top-fuse \
        --data /var/tmp/bench-data --ours-cmd "env DOCKER_ON_TOP_FUSE_JAR=/var/tmp/h-rdir/$1.jar /work/wt-rdir/src/bin/docker-on-top-fuse" \
        --out /var/tmp/h-rdir/bench-cu/$1-$2-$3.md > /dev/null 2>&1 || echo "bench failed: $1 $2 $3"
}
mkdir -p /var/tmp/h-rdir/bench-cu
for i in $(seq $n); do one base $i a; one new $i b; one new $i c; one base $i d; done
