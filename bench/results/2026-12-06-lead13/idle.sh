#!/bin/bash
# idle.sh: mount, wait, print memory; EXTRA env = extra JVM opts
D=/tmp/sr/idle; rm -rf $D; mkdir -p $D/{u,w,m}; L=/var/tmp/bench-data/lower
JAVA=/tmp/sr/javax /work/main/src/bin/docker-on-top-fuse -o lowerdir=$L,upperdir=$D/u,workdir=$D/w $D/m
pid=$(pgrep -n -f "$D/m"); sleep ${WAIT:-6}
[ -n "${WORK:-}" ] && { eval "$WORK"; sleep 6; }
python3 /tmp/sr/smaps.py $pid; grep -E 'Pss:|Pss_Anon' /proc/$pid/smaps_rollup
umount $D/m
