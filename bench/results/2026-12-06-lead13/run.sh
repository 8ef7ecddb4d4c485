#!/bin/bash
# run.sh KIND(ours|fo) MODE(req|strace|time) : smallread-cold on a fresh mount
set -u
kind=$1 mode=$2 jar=${JAR:-/work/main/fuse/target/docker-on-top-fuse.jar}
L=/var/tmp/bench-data/lower; D=/tmp/sr/$kind; rm -rf $D; mkdir -p $D/{u,w,m}
if [ $kind = ours ]; then
  DOCKER_ON_TOP_FUSE_JAR=$jar /work/main/src/bin/docker-on-top-fuse -o lowerdir=$L,upperdir=$D/u,workdir=$D/w $D/m
else
  fuse-overlayfs -o lowerdir=$L,upperdir=$D/u,workdir=$D/w $D/m
fi
pid=$(pgrep -n -f "$D/m")
sync; echo 3 > /proc/sys/vm/drop_caches
t0u=$(awk "{print \$14}" /proc/$pid/stat); t0s=$(awk "{print \$15}" /proc/$pid/stat)
case $mode in
 req) /work/main/bench/fuse-requests.sh $D/m python3 /work/main/bench/fsops.py readall $D/m/small /var/tmp/bench-data/small.list ;;
 strace) strace -c -f -p $pid -o /tmp/sr/strace-$kind.txt & sp=$!; sleep 1; python3 /work/main/bench/fsops.py readall $D/m/small /var/tmp/bench-data/small.list; kill -INT $sp; wait $sp ;;
 time) python3 /work/main/bench/fsops.py readall $D/m/small /var/tmp/bench-data/small.list ;;
esac
t1u=$(awk "{print \$14}" /proc/$pid/stat); t1s=$(awk "{print \$15}" /proc/$pid/stat)
echo "$kind user=$((t1u-t0u)) sys=$((t1s-t0s))"
umount $D/m; sleep 0.5
