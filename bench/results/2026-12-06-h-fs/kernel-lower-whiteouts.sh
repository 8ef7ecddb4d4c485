#!/bin/bash
# kernel overlay 6.18: whiteouts in the (one, lowermost) LOWER layer
set -u
B=${B:-/tmp/hfs/k3}; umount $B/m 2>/dev/null; rm -rf $B; mkdir -p $B/{l,u,w,m}
xw() { : > "$1"; setfattr -n trusted.overlay.whiteout -v y "$1"; }
for d in plain markx; do mkdir -p $B/l/$d; mknod $B/l/$d/dev c 0 0; xw $B/l/$d/xw; echo x > $B/l/$d/keep; done
setfattr -n trusted.overlay.opaque -v x $B/l/markx
mount -t overlay overlay -o "lowerdir=$B/l,upperdir=$B/u,workdir=$B/w" $B/m || exit 1
for d in plain markx; do
  printf "%-7s ls: %-16s" $d "$(ls $B/m/$d | tr '\n' ' ')"
  for n in dev xw; do printf " %s:%s" $n "$( (stat -c %F $B/m/$d/$n 2>/dev/null || echo ENOENT) | tr ' ' _)"; done; echo
done
umount $B/m
