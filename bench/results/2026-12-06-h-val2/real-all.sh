#!/bin/bash
# real-all.sh: bench/real-*.sh with LOOP=java on jar-$TAG
cd /work/wt-h-val2/bench
for s in ${SCRIPTS:-hardlinks git cbuild python filetools dpkg races privs readdir-churn nonroot concurrent cwd-copyup submount-copyup}; do
  t0=$(date +%s)
  JAR=/tmp/hval2/jar-$TAG.jar LOOP=java bash ./real-$s.sh > /tmp/hval2/real/$s.$TAG.txt 2>&1
  rc=$?
  echo "$s jar=$TAG rc=$rc $(( $(date +%s)-t0 ))s $(grep -E "^=== |^### " /tmp/hval2/real/$s.$TAG.txt | tr '\n' ' ')" | tee -a /tmp/hval2/real/summary.txt
done
