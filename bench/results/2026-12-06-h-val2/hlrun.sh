#!/bin/bash
# hlrun.sh TAG(new|base|fix|kernel) SCRIPT : run a corners script on a fresh mount with lower lo/{a,g(link),c}
tag=$1; sc=$2; d=/tmp/hval2/corners/$(basename $sc .py)-$tag; rm -rf $d; mkdir -p $d/lower/lo
echo la > $d/lower/lo/a; ln $d/lower/lo/a $d/lower/lo/g; echo lc > $d/lower/lo/c
if [ $tag = kernel ]; then mkdir -p $d/upper $d/work $d/mnt; mount -t overlay o -o lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work $d/mnt
 python3 $sc $d/mnt > $d.out 2>&1; echo "rc=$?" >> $d.out; umount $d/mnt; ls -A $d/work/work | sed 's/^/work: /' >> $d.out; exit; fi
HVAL_JAR=/tmp/hval2/jar-$tag.jar /tmp/hval2/mnt.sh $d "loop=java" >/dev/null
python3 $sc $d/mnt > $d.out 2>&1; echo "rc=$?" >> $d.out
/tmp/hval2/umnt.sh $d >> $d.out; grep -E "ERROR|Exception" $d/fuse.log | head -3 >> $d.out
