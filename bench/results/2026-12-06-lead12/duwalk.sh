#!/bin/bash
# duwalk.sh JAR EXTRAOPTS LABEL: fresh mount of /var/tmp/big12/l, du -s of t/ three times (first cold-ish, then warm)
jar=$1; extra=$2; label=$3
cd /var/tmp/big12 && rm -rf u w && mkdir u w
if [ "$jar" = fo ]; then fuse-overlayfs -o lowerdir=l,upperdir=u,workdir=w m 2>/dev/null; pid=$(pgrep -f "fuse-overlayfs.*upperdir=u" | head -1)
else DOCKER_ON_TOP_FUSE_JAR=$jar /work/main/src/bin/docker-on-top-fuse -o lowerdir=l,upperdir=u,workdir=w,log=/var/tmp/duwalk.log$extra m; pid=$(pgrep -f "log=/var/tmp/duwalk.log" | head -1); fi
out="$label"
for i in 1 2 3; do
  t0=$(date +%s.%N); du -s m/t > /dev/null; t1=$(date +%s.%N)
  out="$out $(echo "$t1 - $t0" | bc | cut -c1-5)"
done
out="$out cpu=$(awk '{print $14+$15}' /proc/$pid/stat) hwm=$(grep VmHWM /proc/$pid/status | awk '{print $2}')"
umount m
echo "$out"
