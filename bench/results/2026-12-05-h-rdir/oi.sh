#!/bin/bash
# oi.sh N: heap held by OverlayFs.originInos after N upper files are looked up once each
n=$1; d=/var/tmp/h-rdir/m-oi
pid=$(/var/tmp/h-rdir/mnt.sh ours $d 2>/dev/null) || exit 1
M=$d/mnt
python3 - "$M/many" "$n" <<'PY'
import os, sys
top, n = sys.argv[1], int(sys.argv[2]); os.mkdir(top)
for i in range(n): os.close(os.open("%s/f%07d" % (top, i), os.O_CREAT | os.O_WRONLY, 0o644))
PY
sync; echo 2 > /proc/sys/vm/drop_caches   # forget dentries/inodes: every stat is a LOOKUP again
python3 -c "
import os, sys
for e in os.scandir('$M/many'): os.lstat(e.path)"
jcmd $pid GC.class_histogram 2>/dev/null | head -12
jcmd $pid GC.heap_info 2>/dev/null | head -4
umount $M; rm -rf --one-file-system $d $d.log
while [ -d /proc/$pid ]; do sleep 0.1; done
