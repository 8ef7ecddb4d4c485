#!/bin/bash
# mnt.sh DIR OPTS : mount ours (jar $HVAL_JAR) over DIR/{lower,upper,work} at DIR/mnt; prints server pid
d=$1; o=$2
mkdir -p $d/lower $d/upper $d/work $d/mnt
DOCKER_ON_TOP_FUSE_JAR=${HVAL_JAR:?} /work/wt-h-val2/src/bin/docker-on-top-fuse \
  -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work,log=$d/fuse.log${o:+,$o}" $d/mnt || exit 2
pgrep -n -f "upperdir=$d/upper"
