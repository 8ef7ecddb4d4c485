#!/bin/bash
# real-all.sh: every bench/real-*.sh on LOOP=java then LOOP=libfuse
cd /work/wt-h-val/bench
for s in ${SCRIPTS:-git cbuild python filetools dpkg races privs readdir-churn nonroot concurrent cwd-copyup submount-copyup dir-blocks}; do
  for lp in ${LOOPS:-java libfuse}; do
    t0=$(date +%s)
    LOOP=$lp bash ./real-$s.sh > /tmp/hval/real/$s.$lp${TAG:-}.txt 2>&1
    rc=$?
    echo "$s loop=$lp${TAG:-} rc=$rc $(( $(date +%s)-t0 ))s $(grep -E "^=== " /tmp/hval/real/$s.$lp${TAG:-}.txt | tail -1)" | tee -a /tmp/hval/real/summary.txt
  done
done
