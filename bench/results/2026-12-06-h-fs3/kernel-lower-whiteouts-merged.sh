#!/bin/bash
# Whiteouts in the one (lowermost) lower layer of a kernel overlay: a 0/0 device "dev" and an xattr
# whiteout "xw" (empty file, trusted.overlay.whiteout=y) beside a file "keep", in a directory that
# is lower-only ("pure"), merged with an upper one ("merged"), and each also marked opaque=x.
# Listing, lstat of each, then what a create over each name and an rmdir of the directory do.
set -u
B=$(mktemp -d /tmp/klw.XXXX); mkdir -p $B/{l,u,w,m}
xw() { : > "$1"; setfattr -n trusted.overlay.whiteout -v y "$1"; }
for d in pure merged purex mergedx onlywo; do
  mkdir -p $B/l/$d; mknod $B/l/$d/dev c 0 0; xw $B/l/$d/xw
  [ $d = onlywo ] || echo x > $B/l/$d/keep
done
setfattr -n trusted.overlay.opaque -v x $B/l/purex; setfattr -n trusted.overlay.opaque -v x $B/l/mergedx
mkdir -p $B/u/merged $B/u/mergedx; echo u > $B/u/merged/up; echo u > $B/u/mergedx/up
mount -t overlay overlay -o "lowerdir=$B/l,upperdir=$B/u,workdir=$B/w" $B/m || exit 1
uname -r
for d in pure merged purex mergedx onlywo; do
  printf "%-8s ls: %-16s" $d "$(ls $B/m/$d | tr '\n' ' ')"
  for n in dev xw; do printf " %s:%s" $n "$( (stat -c %F $B/m/$d/$n 2>/dev/null || echo ENOENT) | tr ' ' _)"; done
  echo
done
echo "ls -l onlywo: $(ls -l $B/m/onlywo 2>&1 | tr '\n' '|')"
echo "rmdir onlywo: $(rmdir $B/m/onlywo 2>&1 && echo ok)"
echo "create over pure/dev: $( (echo new > $B/m/pure/dev && cat $B/m/pure/dev && stat -c %F $B/m/pure/dev) 2>&1 | tr '\n' ' ')"
echo "create over pure/xw: $( (echo new > $B/m/pure/xw && cat $B/m/pure/xw && stat -c %F $B/m/pure/xw) 2>&1 | tr '\n' ' ')"
echo "ls pure after: $(ls $B/m/pure | tr '\n' ' ')"
echo "mkdir over merged/dev: $(mkdir $B/m/merged/dev 2>&1 && stat -c %F $B/m/merged/dev)"
echo "upper after: $(cd $B/u && find . | sort | tr '\n' ' ')"
umount $B/m; rm -rf $B
