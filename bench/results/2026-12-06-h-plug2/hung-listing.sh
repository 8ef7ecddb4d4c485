#!/bin/bash
# A kernel overlay whose lower lies on a FUSE mount whose server is stopped: statfs answers (from the upper),
# a listing of its root hangs (findings 39, item 2). fuse-overlayfs over the same lower answers from its cache.
# Run as root; the server is continued and everything unmounted at the end.
set -euo pipefail
d=$(mktemp -d /tmp/hp2.XXXXXX)
mkdir -p "$d"/{real,fu,fw,fbase,up,wk,mp,up2,wk2,mp2}
echo hi > "$d/real/a.txt"
fuse-overlayfs -o "lowerdir=$d/real,upperdir=$d/fu,workdir=$d/fw" "$d/fbase"
mount -t overlay x -o "lowerdir=$d/fbase,upperdir=$d/up,workdir=$d/wk" "$d/mp"
fuse-overlayfs -o "lowerdir=$d/fbase,upperdir=$d/up2,workdir=$d/wk2" "$d/mp2"
ls "$d/mp" "$d/mp2" >/dev/null
server=$(pgrep -f "fuse-overlayfs -o lowerdir=$d/real")
kill -STOP "$server"; sleep 2
timeout -s KILL 3 stat -f "$d/mp" >/dev/null && echo "kernel overlay: statfs answers" || echo "kernel overlay: statfs $?"
timeout -s KILL 3 ls "$d/mp" >/dev/null && echo "kernel overlay: ls answers" || echo "kernel overlay: ls killed after 3 s ($?)"
timeout -s KILL 3 stat -f "$d/mp2" >/dev/null && echo "fuse-overlayfs: statfs answers" || echo "fuse-overlayfs: statfs $?"
timeout -s KILL 3 ls "$d/mp2" >/dev/null && echo "fuse-overlayfs: ls answers" || echo "fuse-overlayfs: ls killed ($?)"
kill -CONT "$server"; sleep 1
umount "$d/mp" "$d/mp2"
sleep 1 # the second fuse-overlayfs server exits after its unmount, and holds the base's mount until then
umount "$d/fbase"
rm -rf "$d"
