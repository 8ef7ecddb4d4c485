#!/bin/bash
# ab.sh ROUNDS WORKLOADS: A = 8717ff0 (session 13 start)'s jar, B = this session's, ABBA rounds of one run each, same launcher
# (both jars with their own CDS archive). Prints one line per run: jar workload wall cpu.
rounds=$1; only=$2
A=/tmp/jOld.jar; B=/tmp/jNew.jar
one() {
  bench/overlay-bench.sh --runs 1 --mounts docker-on-top-fuse --only "$only" --data /var/tmp/bench-data \
    --ours-cmd "env DOCKER_ON_TOP_FUSE_JAR=$2 /work/main/src/bin/docker-on-top-fuse" 2>&1 |
    awk -v tag=$1 '/run 1\/1/ && /docker-on-top-fuse:/ {w=$4; t=$6; c=$(NF-1); print tag, w, t, c}'
}
for r in $(seq $rounds); do one A $A; one B $B; one B $B; one A $A; done
