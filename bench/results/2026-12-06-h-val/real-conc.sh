#!/bin/bash
cd /work/wt-h-val/bench
i=0
for spec in "java:" "libfuse:" "libfuse:git cbuild python filetools races privs" "java:git cbuild python filetools races privs" "java:" "libfuse:"; do
  i=$((i+1)); lp=${spec%%:*}; w=${spec#*:}
  t0=$(date +%s)
  if [ -n "$w" ]; then export WORKLOADS="$w"; else unset WORKLOADS; fi
  LOOP=$lp bash ./real-concurrent.sh > /tmp/hval/real/conc$i.$lp.txt 2>&1; rc=$?
  echo "concurrent#$i loop=$lp workloads=${w:-default} rc=$rc $(( $(date +%s)-t0 ))s $(grep -E '^=== ' /tmp/hval/real/conc$i.$lp.txt | tail -1)" | tee -a /tmp/hval/real/summary.txt
done
