#!/bin/bash
# memrun.sh TAG ITER: memloop on jar-TAG; histogram of NodeTable classes before/after
tag=$1; N=$2; d=/tmp/hval2/mem-$tag; rm -rf $d
pid=$(HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d "loop=java")
jp=$(pgrep -f "upperdir=$d/upper" | while read p; do [ "$(readlink /proc/$p/exe | grep -c java)" = 1 ] && echo $p; done | head -1)
echo "# $tag pid=$pid java=$jp rss0 $(grep VmRSS /proc/$jp/status)"
python3 /tmp/hval2/corners/memloop.py $d/mnt $N $jp
echo 2 > /proc/sys/vm/drop_caches; sleep 2
jcmd $jp GC.class_histogram 2>&1 | grep -E "NodeTable|Key|OverlayFs\\\$|ConcurrentHashMap\\\$Node |HashMap\\\$Node " | head -12
echo "rss after GC: $(grep VmRSS /proc/$jp/status)"
/tmp/hval2/umnt.sh $d
