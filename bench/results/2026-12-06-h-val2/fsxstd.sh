#!/bin/bash
# fsxstd.sh TAG: a subset of section 20's fsx scenarios on jar-TAG: new file (passthrough on, off), lower file copied up by fsx's open
tag=$1; B=/tmp/hval2/fsxstd-$tag; rm -rf $B; mkdir -p $B; S=$B/summary.txt
F() { local d=$1 label=$2 s=$3 n=$4; shift 4; local lg=$d/logs/$label-$s; mkdir -p $lg; local extra=()
  [[ $label == low* ]] && extra=(-E $d/refs/$label-$s -F -H -z -C -I)
  timeout 900 /tmp/fsx/fsx -N $n -S $s -P $lg "${extra[@]}" "$@" $d/mnt/$label-$s > $lg/out.txt 2>&1
  echo "$label seed=$s ops=$n opts=\"$*\" rc=$? $(tail -1 $lg/out.txt)" | tee -a $S; }
for pt in "" ",passthrough=off"; do
  d=$B/m${pt:+-ptoff}; for s in 101 102; do /tmp/hval2/mklower.sh $d low $s; done
  HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d "loop=java$pt" >/dev/null; echo "# $pt" | tee -a $S
  for s in 1 2; do F $d new $s 100000 -c 50; done; for s in 101 102; do F $d low $s 50000 -c 50; done
  /tmp/hval2/umnt.sh $d | tr '\n' ' ' | tee -a $S; echo | tee -a $S
done
echo "DONE $(grep -c 'A-OK' $S) ok, $(grep -c 'rc=[1-9]' $S) failed" | tee -a $S
