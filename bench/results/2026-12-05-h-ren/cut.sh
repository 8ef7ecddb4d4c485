#!/bin/bash
# cut.sh VARIANT: copyup-append, per-thread CPU (ms) of the daemon
v=$1; LOWER=/var/tmp/bench-data/lower
case "$v" in nosync) v=/var/tmp/h-ren/exp2.jar; export NOFSYNC=1 NOSFR=1;; esac
d=$(mktemp -d /var/tmp/h-ren/runs/c.XXXXXX); mkdir -p $d/upper $d/work $d/mnt
opts="lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work"
env DOCKER_ON_TOP_FUSE_JAR=$v /work/main/src/bin/docker-on-top-fuse -o "$opts" $d/mnt >/dev/null 2>&1; pid=$(pgrep -nf "java.*$d/mnt")
sync; echo 3 > /proc/sys/vm/drop_caches
snap() { for t in /proc/$pid/task/*; do echo "$(tr ' ' _ < $t/comm) ${t##*/} $(cut -d' ' -f1 $t/schedstat)"; done; }
snap > $d/a; echo appended >> $d/mnt/copyup.bin; snap > $d/b
awk 'NR==FNR{a[$2]=$3;next}{x=($3-a[$2])/1e6; if(x>0.5) printf "  %s %.1f\n",$1,x}' $d/a $d/b
fusermount -u $d/mnt; for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
