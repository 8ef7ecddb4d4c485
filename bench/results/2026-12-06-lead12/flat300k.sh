#!/bin/bash
# flat300k.sh JAR|fo [XMX]: fresh mount of /var/tmp/big12/l, lsparts.py (listdir, lstat, getxattr) of d/ (300,000 files)
HERE=$(cd "$(dirname "$0")" && pwd); jar=$1; xmx=${2:-}
cd /var/tmp/big12 && rm -rf u w && mkdir u w && rm -f /var/tmp/flat.log
if [ "$jar" = fo ]; then fuse-overlayfs -o lowerdir=l,upperdir=u,workdir=w m 2>/dev/null; pid=$(pgrep -f "fuse-overlayfs.*upperdir=u" | head -1)
else DOCKER_ON_TOP_FUSE_XMX=${xmx:-256m} DOCKER_ON_TOP_FUSE_JAR=$jar /work/main/src/bin/docker-on-top-fuse -o lowerdir=l,upperdir=u,workdir=w,log=/var/tmp/flat.log m; pid=$(pgrep -f "log=/var/tmp/flat.log" | head -1); fi
python3 "$HERE/lsparts.py" m/d 2>&1 | tr '\n' ' '
echo "cpu=$(awk '{print $14+$15}' /proc/$pid/stat 2>/dev/null) hwm=$(grep VmHWM /proc/$pid/status 2>/dev/null | awk '{print $2}') log: $(grep -c pruned /var/tmp/flat.log 2>/dev/null) rounds, $(grep -c OutOfMemory /var/tmp/flat.log 2>/dev/null) OOM"
umount m 2>/dev/null || umount -l m
