#!/bin/bash
# rdpmem.sh TAG: 3 dirs x 300 files with 3 names each, ls -l (READDIRPLUS), drop caches, node counts; open some, rm the rest
tag=$1; d=/tmp/hval2/rdp-$tag; rm -rf $d
HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d loop=java > /dev/null
jp=$(pgrep -f "upperdir=$d/upper" | while read p; do readlink /proc/$p/exe | grep -q java && echo $p; done | head -1)
cnt() { jcmd $jp GC.class_histogram 2>/dev/null | awk '/NodeTable\$Node$/{n=$2} /NodeTable\$Name$/{m=$2} END{printf "Node=%s Name=%s", n+0, m+0}'; }
m=$d/mnt; mkdir $m/x $m/y $m/z
for i in $(seq 300); do echo $i > $m/x/f$i; ln $m/x/f$i $m/y/g$i; ln $m/x/f$i $m/z/h$i; done
echo "after create+link: $(cnt)"
echo 2 > /proc/sys/vm/drop_caches; sleep 1; echo "after drop: $(cnt)"
ls -l $m/z > /dev/null; ls -l $m/y >/dev/null; echo "after ls -l y z: $(cnt)"
exec 7<$m/y/g5; echo 2 > /proc/sys/vm/drop_caches; sleep 1; echo "one open, after drop: $(cnt)"
rm $m/x/f5 $m/z/h5; echo "stat open file: $(stat -L -c '%h %s' /proc/self/fd/7 2>&1) $(stat -c %h $m/y/g5)"
ls -l $m/x > /dev/null; rm -r $m/x $m/z; echo 2 > /proc/sys/vm/drop_caches; sleep 1; echo "after rm x z and drop: $(cnt)"
exec 7<&-; echo 2 > /proc/sys/vm/drop_caches; sleep 1; echo "closed, after drop: $(cnt)"
rm -r $m/y; echo 2 > /proc/sys/vm/drop_caches; sleep 1; echo "all removed, after drop: $(cnt)"
/tmp/hval2/umnt.sh $d
