#!/bin/bash
# What marks must a (middle) lower layer's directories carry for kernel overlayfs to honour its
# xattr whiteouts (an empty regular file with trusted.overlay.whiteout)? Layer L over base B,
# read-only overlay lowerdir=L:B; for each marking of L/d and of L's root: listing and lookups.
set -u
T=$(mktemp -d /tmp/xwm.XXXX)
uname -r
run() { # $1 = description, $2 = root mark, $3 = dir mark
  rm -rf $T/B $T/L $T/m; mkdir -p $T/B/d $T/L/d $T/m
  echo f > $T/B/d/f; echo g > $T/B/d/g; echo top > $T/B/top; echo keep > $T/B/keep
  : > $T/L/d/f; setfattr -n trusted.overlay.whiteout -v y $T/L/d/f
  : > $T/L/top; setfattr -n trusted.overlay.whiteout -v y $T/L/top
  case $2 in x) setfattr -n trusted.overlay.opaque -v x $T/L;; xw) setfattr -n trusted.overlay.xwhiteouts $T/L;; w) setfattr -n trusted.overlay.whiteouts $T/L;; esac
  case $3 in x) setfattr -n trusted.overlay.opaque -v x $T/L/d;; xw) setfattr -n trusted.overlay.xwhiteouts $T/L/d;; w) setfattr -n trusted.overlay.whiteouts $T/L/d;; esac
  if ! mount -t overlay overlay -o lowerdir=$T/L:$T/B $T/m 2>/tmp/xwm.err; then echo "$1: mount failed: $(cat /tmp/xwm.err)"; return; fi
  printf '%-34s ls d: %-8s stat d/f: %-8s | ls /: %-12s stat top: %s\n' "$1" \
    "$(ls $T/m/d | tr '\n' ' ')" "$(stat -c %s $T/m/d/f 2>&1 >/dev/null | grep -q 'No such' && echo ENOENT || echo "$(stat -c '%F' $T/m/d/f)")" \
    "$(ls $T/m | tr '\n' ' ')" "$(stat -c %s $T/m/top 2>&1 >/dev/null | grep -q 'No such' && echo ENOENT || echo "$(stat -c '%F' $T/m/top)")"
  umount $T/m
}
run "no marks" - -
run "dir xwhiteouts (ours)" - xw
run "root+dir xwhiteouts (ours)" xw xw
run "dir whiteouts (6.7)" - w
run "root+dir whiteouts (6.7)" w w
run "dir opaque=x" - x
run "root+dir opaque=x" x x
run "root opaque=x only" x -
rm -rf $T
