#!/bin/bash
# fsx-batch.sh TAG LOOPOPT : section 20's fsx scenarios on mounts with LOOPOPT (e.g. loop=java, or loop=libfuse)
tag=$1; lo=$2
B=/tmp/hval/fsx-$tag; rm -rf $B; mkdir -p $B
S=$B/summary.txt
run() { "$@" | tee -a $S; }
cm() { local d=$1 o=$2; /tmp/hval/mnt.sh $d "$o" >/dev/null || { echo "MOUNT FAIL $d $o" | tee -a $S; return 1; }; pid=$(pgrep -n -f "upperdir=$d/upper"); echo "# mount $d opts=$o pid=$pid cmdline-loop=$(tr '\0' ' ' </proc/$pid/cmdline | grep -o 'loop=[a-z]*')" | tee -a $S; }
um() { /tmp/hval/umnt.sh $1 | sed "s#^#  [$1] #" | tee -a $S; }
F=/tmp/hval/fsx1.sh
# a. new file, passthrough default
d=$B/a1; cm $d "$lo"
for s in 1 2 3; do run $F $d a1 $s 100000 -c 50; done
um $d
# a. new file, passthrough=off
d=$B/a2; cm $d "$lo,passthrough=off"
for s in 1 2 3; do run $F $d a2 $s 100000 -c 50; done
for s in 11 12; do run $F $d a2f $s 30000 -f -c 50; done
run $F $d a2y 21 20000 -y
for s in 31 32; do run $F $d a2s $s 50000 -s 1 -c 20; done
run $F $d a2big 41 20000 -l 4m -o 1m -c 30
run $F $d a2al 511 50000 -r 4096 -w 4096 -t 4096
run $F $d a2big 521 10000 -l 8m -o 2m
um $d
# a. new file, threads=1
d=$B/a3; cm $d "$lo,threads=1"
for s in 501 502; do run $F $d a3 $s 50000 -c 50; done
um $d
# b. lower file copied up by fsx's open, passthrough on / off
d=$B/b1; for s in 101 102 103 104; do /tmp/hval/mklower.sh $d low $s; done; cm $d "$lo"
for s in 101 102 103 104; do run $F $d low $s 50000 -c 50; done
um $d
d=$B/b2; for s in 201 202 203 204; do /tmp/hval/mklower.sh $d low $s; done; cm $d "$lo,passthrough=off"
for s in 201 202 203 204; do run $F $d low $s 50000 -c 50; done
um $d
# c. volatile
d=$B/c1; cm $d "$lo,volatile"
for s in 301 302 303; do run $F $d c1 $s 100000 -c 50; done
run $F $d c1y 304 20000 -y
um $d
# d. three fsx at once on one mount: default, passthrough=off, threads=1, threads=1+passthrough=off
for v in "d1:" "d2:,passthrough=off" "d3:,threads=1" "d4:,threads=1,passthrough=off"; do
  n=${v%%:*}; o=${v#*:}; d=$B/$n; cm $d "$lo$o"
  for s in 401 402 403; do $F $d $n $s 60000 -c 50 > $B/$n-$s.out & done; wait
  cat $B/$n-*.out | tee -a $S
  # three at once on a lower file each
  for s in 411 412 413; do /tmp/hval/mklower.sh $d low$n $s; done
  um $d; cm $d "$lo$o"
  for s in 411 412 413; do $F $d low$n $s 50000 -c 50 > $B/$n-$s.out & done; wait
  cat $B/$n-41*.out | tee -a $S
  um $d
done
echo "DONE $(grep -c 'A-OK' $S) ok, $(grep -c 'rc=[1-9]' $S) failed" | tee -a $S
