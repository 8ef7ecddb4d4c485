#!/bin/bash
d=$1
pid=$(pgrep -n -f "upperdir=$d/upper")
mountpoint -q $d/mnt && { fusermount -u $d/mnt || umount -l $d/mnt; }
for i in $(seq 50); do [ -n "$pid" ] && kill -0 $pid 2>/dev/null || break; sleep 0.1; done
[ -n "$pid" ] && kill -0 $pid 2>/dev/null && echo "server $pid still alive"
grep -cE 'ERROR|Exception|SEVERE' $d/fuse.log 2>/dev/null | sed 's/^/log errors: /'
w=$(find $d/work -mindepth 2 2>/dev/null | wc -l); echo "workdir entries left: $w"
