#!/bin/bash
# The bench's cold-JVM-sensitive workloads on docker-on-top-fuse, without (A) and with (B) the CDS
# archive, ABBA: bench-abba.sh END [START] (rounds START..END-1; each invocation: --runs 2, a fresh mount per workload and run).
set -euo pipefail
cd "$(dirname "$0")/../../.."
R=bench/results/2026-12-05-h-cds
for ((k = ${2:-0}; k < $1; k++)); do
    if ((k % 2 == 0)); then order="A B"; else order="B A"; fi
    for v in $order; do
        bench/overlay-bench.sh --mounts docker-on-top-fuse --only rename-lower,copyup-append,files --runs 2 \
            --data /var/tmp/cds-bench-data --ours-cmd "/var/tmp/cds-prefix-$v/bin/docker-on-top-fuse" \
            --out "$R/bench-$v-$k.md" >"$R/bench-$v-$k.log" 2>&1
    done
done
