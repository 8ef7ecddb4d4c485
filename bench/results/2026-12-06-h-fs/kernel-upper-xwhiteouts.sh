#!/bin/bash
# kernel overlay 6.18: upper xattr whiteouts (empty file + trusted.overlay.whiteout) by directory kind
set -u
B=${B:-/tmp/hfs/k2}; umount $B/m 2>/dev/null; rm -rf $B; mkdir -p $B/{l,u,w,m}
xw() { : > "$1"; setfattr -n trusted.overlay.whiteout -v y "$1"; }
for d in plain markx markxw impure impmarkx; do
  mkdir -p $B/l/$d $B/u/$d; echo lower > $B/l/$d/a; echo lower > $B/l/$d/keep
  xw $B/u/$d/a; xw $B/u/$d/b; echo nonempty > $B/u/$d/c; setfattr -n trusted.overlay.whiteout -v y $B/u/$d/c
done
mkdir -p $B/u/uponly $B/u/uponlyimp; xw $B/u/uponly/b; xw $B/u/uponlyimp/b
setfattr -n trusted.overlay.opaque -v x $B/u/markx $B/u/impmarkx
setfattr -n trusted.overlay.xwhiteouts -v "" $B/u/markxw
setfattr -n trusted.overlay.impure -v y $B/u/impure $B/u/impmarkx $B/u/uponlyimp
mount -t overlay overlay -o "lowerdir=$B/l,upperdir=$B/u,workdir=$B/w${OPTS:-}" $B/m || exit 1
for d in plain markx markxw impure impmarkx uponly uponlyimp; do
  printf "%-10s ls: %-14s" $d "$(ls $B/m/$d | tr '\n' ' ')"
  for n in a b c; do printf " %s:%s" $n "$(stat -c %s $B/m/$d/$n 2>/dev/null || echo ENOENT)"; done; echo
done
umount $B/m
