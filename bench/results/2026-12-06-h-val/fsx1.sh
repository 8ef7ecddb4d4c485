#!/bin/bash
# fsx1.sh DIR LABEL SEED OPS [fsx opts...]: one fsx on DIR/mnt/LABEL-SEED (lower: LABEL starts with 'low' -> file in lower + ref)
d=$1; label=$2; s=$3; n=$4; shift 4
lg=$d/logs/$label-$s; mkdir -p $lg
extra=()
f=$d/mnt/$label-$s
if [[ $label == low* ]]; then
  extra=(-E $d/refs/$label-$s -F -H -z -C -I)
fi
t0=$(date +%s.%N)
timeout 900 /tmp/fsx/fsx -N $n -S $s -P $lg "${extra[@]}" "$@" $f > $lg/out.txt 2>&1
rc=$?
t1=$(date +%s.%N)
printf '%s seed=%s ops=%s opts="%s" rc=%s %.1fs %s\n' "$label" $s $n "$*" $rc $(echo "$t1-$t0"|bc) "$(tail -1 $lg/out.txt)"
