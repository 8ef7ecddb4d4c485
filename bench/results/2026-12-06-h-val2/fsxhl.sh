#!/bin/bash
# fsxhl.sh TAG : fsx on files with several names, on jar-TAG (loop=java)
tag=$1; B=/tmp/hval2/fsx-$tag; rm -rf $B; mkdir -p $B; S=$B/summary.txt
F() { # F DIR LABEL SEED OPS [fsx opts]: fsx on DIR/mnt/LABEL-SEED
  local d=$1 label=$2 s=$3 n=$4; shift 4; local lg=$d/logs/$label-$s; mkdir -p $lg; local extra=()
  [[ $label == low* ]] && extra=(-E $d/refs/$label-$s -F -H -z -C -I)
  timeout 900 /tmp/fsx/fsx -N $n -S $s -P $lg "${extra[@]}" "$@" $d/mnt/$label-$s > $lg/out.txt 2>&1
  echo "$label seed=$s ops=$n opts=\"$*\" rc=$? $(tail -1 $lg/out.txt)" | tee -a $S; }
cm() { HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $1 "loop=java$2" >/dev/null || echo "MOUNT FAIL" | tee -a $S; echo "# mount $1 $2" | tee -a $S; }
um() { /tmp/hval2/umnt.sh $1 | tr '\n' ' ' | sed "s#^#  [$1] #" | tee -a $S; echo | tee -a $S; grep -E "ERROR|Exception" $1/fuse.log | head -3 | tee -a $S; }
churn() { # churn DIR FILE: while the flag exists: rename the other name's dir, add/remove names, drop caches
  local d=$1 f=$2 i=0
  while [ -e $d/churn.on ]; do i=$((i+1))
    ln $d/mnt/$f $d/mnt/o/x$i 2>/dev/null; mv $d/mnt/o $d/mnt/o2 2>/dev/null; stat $d/mnt/o2/first >/dev/null 2>&1
    mv $d/mnt/o2 $d/mnt/o 2>/dev/null; rm -f $d/mnt/o/x$((i-1)); cat $d/mnt/o/first > /dev/null 2>&1
    [ $((i % 20)) = 0 ] && echo 2 > /proc/sys/vm/drop_caches; sleep 0.05; done; }
for pt in "" ",passthrough=off"; do
  # A. the fsx file is the second name of a file first named elsewhere (the node's path is the other name)
  d=$B/a${pt:+-ptoff}; cm $d "$pt"
  for s in 1 2; do mkdir -p $d/mnt/o; : > $d/mnt/o/first; rm -f $d/mnt/hl-$s; ln $d/mnt/o/first $d/mnt/hl-$s
    F $d hl $s 50000 -c 50; rm -f $d/mnt/o/first; done
  um $d
  # B. as A, with the other name's directory renamed, names added and removed, caches dropped meanwhile
  d=$B/b${pt:+-ptoff}; cm $d "$pt"
  for s in 3 4; do mkdir -p $d/mnt/o; : > $d/mnt/o/first; rm -f $d/mnt/hlc-$s; ln $d/mnt/o/first $d/mnt/hlc-$s
    touch $d/churn.on; churn $d hlc-$s & F $d hlc $s 50000 -c 50; rm -f $d/churn.on; wait; rm -rf $d/mnt/o $d/mnt/o2; done
  um $d
  # C. a lower file (with a lower hard link) linked to another name after the mount, then fsx on it
  d=$B/c${pt:+-ptoff}; for s in 5 6; do /tmp/hval2/mklower.sh $d low $s; ln $d/lower/low-$s $d/lower/lowlink-$s; done; cm $d "$pt"
  for s in 5 6; do ln $d/mnt/low-$s $d/mnt/up-$s; F $d low $s 50000 -c 50; cmp $d/mnt/low-$s $d/mnt/up-$s && echo "  up-$s same as low-$s" | tee -a $S; cmp -s $d/mnt/lowlink-$s $d/refs/low-$s && echo "  lowlink-$s still the lower data" | tee -a $S; done
  um $d
done
# D. three fsx at once on three names of one... no: on three files each with 2 names, threads=1
d=$B/d; cm $d ",threads=1"
for s in 7 8 9; do : > $d/mnt/first-$s; ln $d/mnt/first-$s $d/mnt/hld-$s; done
for s in 7 8 9; do F $d hld $s 40000 -c 50 > $B/d-$s.out & done; wait; cat $B/d-*.out >> $S
um $d
echo "DONE $(grep -c 'A-OK' $S) ok, $(grep -c 'rc=[1-9]' $S) failed" | tee -a $S
