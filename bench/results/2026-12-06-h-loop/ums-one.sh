#!/bin/bash
# ums-one.sh TS TEST: one unionmount-testsuite test (from /tmp/conf/ums) on fresh tmpfs layers, ours with loop=java
ts=$1; t=$2
B=/tmp/hl/ub; L=/tmp/hl/ul; M=/tmp/hl/um
mkdir -p $B $L $M
mount -t tmpfs hl-upper $B; mount -t tmpfs hl-lower $L
export UNIONMOUNT_BASEDIR=$B UNIONMOUNT_LOWERDIR=$L UNIONMOUNT_MNTPOINT=$M PATH=/tmp/hl/bin:$PATH
cd /tmp/conf/ums
log=/tmp/hl/ums-logs/ts$ts-$t.log
timeout 600 ./run --ov --fuse=hlloop-dotf --xdev --ts=$ts $t > $log 2>&1; rc=$?; findmnt -no FSTYPE,OPTIONS $M >> $log
for i in 1 2 3; do umount $M 2>/dev/null; done
umount $B 2>/dev/null; umount $L 2>/dev/null
umount $B 2>/dev/null; umount $L 2>/dev/null
if [ $rc = 0 ]; then echo "PASS ts=$ts $t"; else echo "FAIL ts=$ts $t rc=$rc: $(grep -v '^ \./run\|^TEST\|^\*\*\*\|^- ' $log | tail -2 | tr '\n' ' ')"; fi
